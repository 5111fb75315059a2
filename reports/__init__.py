"""Turns raw findings into one verdict and the reports terminals, GitHub and auditors read."""
