"""Tricky cases for the secret rules (WG101-WG106): masking, autofix, traps."""
from __future__ import annotations

import pytest

from checks.base import Invalid, Valid
from checks.domain.hardcoded_api_token import HardcodedApiToken
from checks.domain.hardcoded_secret_assignment import HardcodedSecretAssignment
from checks.domain.hardcoded_secret_key import HardcodedSecretKey
from checks.masking import mask_in
from checks.secrets import is_placeholder
from checks.testing import run_example


def test_autofix_replaces_literal_and_adds_import() -> None:
    code = '"""Settings."""\nfrom __future__ import annotations\nSECRET_KEY = "q7#z!m2r@local-dev-9f$w8k+e3v"\nDEBUG = False\n'
    found = run_example(HardcodedSecretKey, Invalid(code, line=3, path="proj/settings.py"))
    fixed = HardcodedSecretKey.autofix(code, found)
    assert fixed == ('"""Settings."""\nfrom __future__ import annotations\nimport os\n'
                     'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\nDEBUG = False\n')


def test_autofix_leaves_unflagged_assignments() -> None:
    code = 'import os\nSECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\n'
    assert HardcodedSecretKey.autofix(code, []) is None


def test_secret_never_in_message_or_snippet() -> None:
    token = "xoxb-000000000000-0000000000000-FAKEfakeFAKEfakeFAKEfake"
    (f,) = run_example(HardcodedApiToken, Invalid(f'import os\nT = os.environ.get("X", "{token}")\n', line=2))
    assert token not in f.message and token not in (f.snippet or "")
    (g,) = run_example(HardcodedSecretAssignment, Invalid('DB_PASSWORD = "Emr-Legacy-R3ad0nly-2019"\n', line=1))
    assert "R3ad0nly" not in g.message and "R3ad0nly" not in (g.snippet or "")


def test_private_key_block_masked_line_by_line() -> None:
    body = "MHcCAQEEIFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeoAoGCCqG"
    code = f'KEY = """-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n"""\n'
    (f,) = run_example(HardcodedApiToken, Invalid(code, line=1))
    assert body not in (f.snippet or "")
    assert body not in mask_in(code, code[7:-4])


def test_non_secret_settings_and_split_settings_traps() -> None:
    code = """
    import os
    PASSWORD_MIN_LENGTH = 12
    TOKEN_TTL = 3600
    SESSION_TOKEN_HEADER = "X-Session-Token"
    EMAIL_HOST_USER = "apikey"
    STRIPE_PUBLISHABLE_KEY_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", "")
    """
    for check in (HardcodedApiToken, HardcodedSecretAssignment):
        assert run_example(check, Valid(code, path="proj/settings/production.py")) == []


def test_settings_only_developers_load_are_not_production_secrets() -> None:
    """cookiecutter-django's layout: wsgi.py serves production.py (which imports base.py); manage.py runs local.py."""
    local = ('from .base import *  # noqa\nDEBUG = True\nSECRET_KEY = "uF0sHMCxlAmPJlxpIY8QLUJElAWigxVdOwC92qe0l7Q7"\n'
             'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "Dev-Only-2024!"}}\n')
    wsgi = ("config/wsgi.py", ('import os\nfrom django.core.wsgi import get_wsgi_application\n'
                               'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")\n'
                               'application = get_wsgi_application()\n'))
    base = ("config/settings/base.py", "DEBUG = False\n")
    production = ("config/settings/production.py", "from .base import *  # noqa\n")
    from checks.domain.hardcoded_database_password import HardcodedDatabasePassword

    def found(*files: tuple[str, str]) -> list[str]:
        return [f.rule_id for check in (HardcodedSecretKey, HardcodedDatabasePassword)
                for f in run_example(check, Valid(local, path="config/settings/local.py", files=files))]

    assert found(wsgi, base, production) == []
    assert found(base, production) == []  # no entry point names one: the module named for production stands for it
    server = ("config/settings/server.py", production[1])
    assert found(base, server) == ["WG101", "WG102"]  # nothing says what a server runs
    served_local = ("config/settings/production.py", "from .local import *  # noqa\n")
    assert found(wsgi, base, served_local) == ["WG101", "WG102"]  # production builds on it
    # asgi.py falls back to local.py (fixed at DEBUG = True) while wsgi.py names production: a developer's fallback.
    asgi = ("config/asgi.py", ('import os\nfrom django.core.asgi import get_asgi_application\n'
                               'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")\n'
                               'application = get_asgi_application()\n'))
    assert found(wsgi, asgi, base, production) == []
    # The only server entry point falls back to local.py, but production.py, built on the same base, is named for
    # production: the deployment names that one (ayushma's layout: local.py is a developer's, its key a trap).
    assert found(asgi, base, production) == []
    debug_only = ("config/settings/staging.py", production[1])  # a sibling not named for production: no evidence
    assert found(asgi, base, debug_only) == ["WG101", "WG102"]


def test_a_served_debug_module_beside_a_production_sibling_is_the_developers() -> None:
    """wsgi.py and manage.py default to settings.py, fixed at DEBUG = True; settings_prod.py builds on the same
    base, turns DEBUG off and reads its secrets: the deployment names that one, so settings.py's key and field
    encryption key are a developer's."""
    dev = ('from .settings_base import *\nSECRET_KEY = "hk+83s0m6j8(ei)gxgy)e59b@^n77y_bmd4(#yyknr"\nDEBUG = True\n'
           'FIELD_ENCRYPTION_KEY = "IhWBKI5MORNNtI5WWqZwOflEwojBACtuz9lKXwcF4HI="\n')
    wsgi = ("ppn/wsgi.py", ('import os\nfrom django.core.wsgi import get_wsgi_application\n'
                            'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppn.settings")\n'
                            'application = get_wsgi_application()\n'))
    base = ("ppn/settings_base.py", "INSTALLED_APPS = ['django.contrib.auth']\n")
    prod = ("ppn/settings_prod.py", ('import os\nfrom ppn.settings_base import *\nDEBUG = False\n'
                                     'SECRET_KEY = os.environ["SECRET_KEY"]\n'
                                     'FIELD_ENCRYPTION_KEY = os.environ["FIELD_ENCRYPTION_KEY"]\n'))

    def found(*files: tuple[str, str]) -> list[str]:
        return [f.rule_id for check in (HardcodedSecretKey, HardcodedSecretAssignment)
                for f in run_example(check, Valid(dev, path="ppn/settings.py", files=files))]

    assert found(wsgi, base, prod) == []
    assert found(wsgi, base) == ["WG101", "WG106"]  # the served module is all there is: production runs it


def test_each_django_project_of_a_tree_keeps_its_own_served_settings() -> None:
    """Two projects in one repository (a lab back end and a public site), each wsgi.py defaulting to a settings.py
    fixed at DEBUG = True. The lab's deployment is its settings_prod.py; the site's settings_prod.py builds on the
    site's settings.py itself (`from site_app.settings import *`), keeps its key and turns DEBUG off: the site's key
    is production's."""
    site = 'SECRET_KEY = "django-insecure-29a21((%rrei8t%y$u)4phny_i-30o*cq#)7m"\nDEBUG = True\n'

    def wsgi(project: str) -> tuple[str, str]:
        return (f"{project}/{project}/wsgi.py", (
            'import os\nfrom django.core.wsgi import get_wsgi_application\n'
            f'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{project}.settings")\n'
            'application = get_wsgi_application()\n'))

    files = (
        ("lab/manage.py", ""), wsgi("lab"), ("lab/lab/__init__.py", ""),
        ("lab/lab/settings.py", 'from .settings_base import *\nDEBUG = True\n'),
        ("lab/lab/settings_base.py", "INSTALLED_APPS = ['django.contrib.auth']\n"),
        ("lab/lab/settings_prod.py", 'from lab.settings_base import *\nDEBUG = False\n'),
        ("site_app/manage.py", ""), wsgi("site_app"), ("site_app/site_app/__init__.py", ""),
        ("site_app/site_app/settings_prod.py", 'from site_app.settings import *\nDEBUG = False\n'),
    )
    assert [f.start_line for f in run_example(HardcodedSecretKey, Valid(
        site, path="site_app/site_app/settings.py", files=files))] == [1]


def test_when_wsgi_names_no_settings_module_manage_py_defaults_say_what_production_runs() -> None:
    """wsgi.py defaults to an empty settings package (the image sets the real module); manage.py picks
    production; dev.py turns DEBUG on through the environment's default."""
    dev = 'from proj.settings.base import *  # noqa\nSECRET_KEY = env.str("SECRET_KEY", "x9#kq2!zr7@p4$w8m+e3v^b1")\n' \
          'DEBUG = env.bool("DEBUG", True)\n'
    wsgi = ("proj/wsgi.py", ('import os\nfrom django.core.wsgi import get_wsgi_application\n'
                             'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n'
                             'application = get_wsgi_application()\n'))
    manage = ("manage.py", ('import os\nimport sys\nif "test" in sys.argv:\n'
                            '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.test")\nelse:\n'
                            '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.production")\n'))
    base = ("proj/settings/base.py", "import environ\nenv = environ.Env()\nDEBUG = False\n")
    production = ("proj/settings/production.py", "from proj.settings.base import *  # noqa\n")

    def found(*files: tuple[str, str]) -> list[int]:
        return [f.start_line for f in run_example(HardcodedSecretKey, Valid(dev, path="proj/settings/dev.py",
                                                                               files=files))]

    assert found(wsgi, manage, base, production) == []
    assert found(wsgi, base, production) == []  # the module named for production stands for what a server runs
    assert found(wsgi, base, ("proj/settings/server.py", production[1])) == [2]  # nothing says which one


def test_a_value_that_names_itself_fake_is_a_placeholder() -> None:
    """A scrubbed deployment settings file: `'fakepassword'` stands for the real one, like `'changeme'`."""
    assert run_example(HardcodedSecretAssignment, Valid("EMAIL_PASSWORD = 'fakepassword'\n", path="proj/settings.py")) == []
    assert len(run_example(HardcodedSecretAssignment, Invalid("EMAIL_PASSWORD = 'Kq8-fake-Zr2w!'\n", line=1,
                                                               path="proj/settings.py"))) == 1


def test_a_token_alphabet_and_an_update_me_value_are_not_secrets() -> None:
    alphabet = '_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"\n'
    assert run_example(HardcodedSecretAssignment, Valid(alphabet, path="core/models/invitation.py")) == []
    assert run_example(HardcodedSecretAssignment, Valid('AUTH_SECRET = "update-with-strong-secret"\n',
                                                        path="proj/settings.py")) == []
    assert len(run_example(HardcodedSecretAssignment, Invalid('AUTH_SECRET = "u9Xq-2Lr8!wKz#4Tf"\n', line=1,
                                                               path="proj/settings.py"))) == 1


def test_a_stored_password_hash_is_not_the_secret() -> None:
    """A seeded OAuth application's `client_secret` in Django's hashed form (pbkdf2_sha256$…) is no credential."""
    from checks.domain.hardcoded_api_token import HardcodedApiToken

    hashed = "pbkdf2_sha256$870000$Hrxk93CVKgRSGJdyusw4go$umXWiaCn152vXWiXl1bQZwupccDt18QiQcotff+hBmQ="
    code = f'def seed(app):\n    app.objects.create(client_type="public", client_secret="{hashed}")\n'
    assert run_example(HardcodedApiToken, Valid(code, path="core/management/commands/seed.py")) == []
    plain = code.replace(hashed, "sk_live_51Hq8XrLmZ0pV7sN4tY1wB6kD9")
    assert len(run_example(HardcodedApiToken, Invalid(plain, line=2, path="core/management/commands/seed.py"))) == 1


def test_the_fallback_of_an_environment_lookup_inside_a_conditional_is_a_hard_coded_secret() -> None:
    from checks.domain.hardcoded_database_password import HardcodedDatabasePassword

    code = ("import os\n\nDATABASES = {'default': {\n    'ENGINE': 'django.db.backends.postgresql',\n    'PASSWORD': (\n"
            "        read_secret(os.environ['PW_FILE'])\n        if os.environ.get('PW_FILE')\n"
            "        else os.environ.get('POSTGRES_PASSWORD', 'pgAdmin-2024')\n    ),\n}}\n")
    found = run_example(HardcodedDatabasePassword, Invalid(code, line=5, path="proj/settings.py"))
    assert len(found) == 1 and "pgAdmin-2024" not in found[0].message


def test_a_value_made_of_words_of_its_own_name_is_an_identifier() -> None:
    """An event type and a model attribute's name, spelled with words of the setting's name, are no credentials."""
    code = ("PASSWORD_EXPIRY_WARNING = 'password-expiry-warning'\n"
            "AUTH_USER_MODEL_PASSWORD_CHANGE_DATE_ATTR = 'password_change_date'\n")
    assert run_example(HardcodedSecretAssignment, Valid(code, path="proj/settings.py")) == []
    assert len(run_example(HardcodedSecretAssignment, Invalid("SMTP_PASSWORD = 'relay-mail-pw'\n", line=1,
                                                               path="proj/settings.py"))) == 1


def test_public_demo_logins_and_readable_test_passwords_are_no_leaks() -> None:
    """DHIS2's public demo login (admin/district) in seed data; a password validator's readable fixture phrase in a
    test module. A random 40-character key in the same test module still is."""
    seed = 'def seed(creds):\n    creds.create(url="https://play.dhis2.org/", login="admin", password="district")\n'
    assert run_example(HardcodedSecretAssignment, Valid('DHIS_PASSWORD = "district"\n', path="setup/projects.py")) == []
    from checks.domain.hardcoded_auth_password import HardcodedAuthPassword
    assert all(run_example(c, Valid(seed, path="app/management/commands/seed.py")) == []
               for c in (HardcodedAuthPassword, HardcodedSecretAssignment))
    fixture = 'def test_ok():\n    password = "this-is-a-very-long-password-with-lots-of-stuff-7777azertyuiop#@@012345"\n'
    assert run_example(HardcodedSecretAssignment, Valid(fixture, path="app/tests/test_password.py")) == []
    real = 'def test_ok():\n    password = "Xq7vL2pR9sT4wK8mZ3nB6cF1hJ5dG0aY"\n'
    assert len(run_example(HardcodedSecretAssignment, Invalid(real, line=2, path="app/tests/test_password.py"))) == 1


@pytest.mark.parametrize("value", [
    "replace_with_random_string", "REPLACE_THIS_WITH_THE_REAL_KEY", "please-change-me", "ChangeMe", "setme",
    "your_api_key_here", "put-your-token-here", "enterYourClientSecret", "api_key_here", "token-goes-here",
    "fill_in_secret", "must_be_set", "TODO: set in prod",
])
def test_values_written_to_be_replaced_are_placeholders(value: str) -> None:
    """Read word by word: `_` separates words as `-` and spaces do, and so do case changes."""
    assert is_placeholder(value)


@pytest.mark.parametrize("value", [
    "Relay-pw-2024", "Yourself-2024!", "SetInStone99", "must-have-2024x", "nowhere123456",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Zk3v9Qp0Lr7XwT2mN8bY5cH1",
])
def test_values_that_only_contain_those_letters_are_not(value: str) -> None:
    assert not is_placeholder(value)


def test_a_urn_names_an_attribute_and_is_no_credential() -> None:
    """pysaml2 attribute maps name LDAP attributes by OID: `'userPassword': 'urn:oid:2.5.4.35'` names the attribute."""
    code = "MAP = {}\nMAP['to'] = {\n    'userPassword': 'urn:oid:2.5.4.35',\n}\nuserPassword = 'urn:oid:2.5.4.35'\n"
    assert run_example(HardcodedSecretAssignment, Valid(code, path="common/saml2/attribute-maps/basic.py")) == []
    assert len(run_example(HardcodedSecretAssignment, Invalid(code.replace("urn:oid:2.5.4.35", "Xq7vL2pR9sT4wK8mZ3"),
                                                                line=5, path="common/saml2/maps.py"))) >= 1


def test_a_short_password_mixing_letters_and_digits_is_one_when_the_name_says_password() -> None:
    def found(code: str) -> list[int]:
        return [f.start_line for f in run_example(HardcodedSecretAssignment, Valid(code, path="proj/settings.py"))]

    assert found("EMAIL_HOST_PASSWORD = 'cc3721b'\n") == [1]
    assert found("EMAIL_HOST_PASSWORD = 'blue123'\n") == []  # a word and a number: a demo account's
    assert found("EMAIL_HOST_PASSWORD = 'abc1'\n") == []  # too short to be anything but a placeholder
    assert found("class LQASStatus(str, Enum):\n    Pass = '1lqasOK'\n") == []  # pass as in pass/fail
