import sentry_sdk
from sentry_sdk import init as sentry_init

# ruleid: WG506
sentry_sdk.init(dsn="https://public@sentry.example/1", send_default_pii=True)

# ruleid: WG506
sentry_init(dsn="https://public@sentry.example/1", traces_sample_rate=0.1, send_default_pii=True)

# ok: WG506
sentry_sdk.init(dsn="https://public@sentry.example/1", send_default_pii=False)

# ok: WG506
sentry_sdk.init(dsn="https://public@sentry.example/1")
