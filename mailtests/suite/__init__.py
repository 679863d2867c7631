"""The compliance tests: one function per catalog check, parametrized by domain.

Each test reads as its requirement; the verdict comes from :mod:`mailtests.checks`.
"""
