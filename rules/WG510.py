LOGGING = {
    "version": 1,
    "handlers": {
        # ruleid: WG510
        "mail_admins": {
            "level": "ERROR",
            "class": "django.utils.log.AdminEmailHandler",
            "include_html": True,
        },
        # ok: WG510
        "mail_managers": {
            "level": "ERROR",
            "class": "django.utils.log.AdminEmailHandler",
        },
        # ok: WG510
        "quiet_mail": {
            "class": "django.utils.log.AdminEmailHandler",
            "include_html": False,
        },
        # ok: WG510
        "console": {"class": "logging.StreamHandler", "include_html": True},
    },
}
