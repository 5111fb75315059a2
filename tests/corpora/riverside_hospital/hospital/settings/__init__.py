"""Settings package: pick a module with DJANGO_SETTINGS_MODULE (hospital.settings.local / .production)."""
