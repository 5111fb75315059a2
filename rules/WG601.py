import os

# ruleid: WG601
DEBUG = True

# ok: WG601
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"

# ok: WG601
DEBUG = False
