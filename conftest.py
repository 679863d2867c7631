"""Kept thin on purpose: the suite is the `mailtests` pytest plugin (entry point `pytest11`).

`pytest` in this folder audits domains.yaml; see README.md.
"""
