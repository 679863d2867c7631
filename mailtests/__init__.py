"""mailtests: a pytest compliance suite for DNS and email delivery.

Run ``pytest --pyargs mailtests --domains domains.yaml``; see README.md.
"""

__version__ = "0.1.0"


class ComplianceWarning(UserWarning):
    """A WARN finding (a SHOULD or best practice): the test passes and this warning is emitted.

    ``-W error::mailtests.ComplianceWarning`` or ``--fail-on-warn`` turns it into a failure.
    """


__all__ = ["ComplianceWarning", "__version__"]
