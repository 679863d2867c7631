"""Every selected check of one domain, as one test: how a run of many domains is collected.

Above 100 domains (or with ``--test-per=domain``) the suite collects ``test_domain[<domain>]``
instead of a test per (domain, check): see mailtests/grouping.py and README.md, "Performance".
Each check is still asserted by its own function in this folder and keeps its own result record.
"""


def test_domain(failures, judged):
    """None of the domain's selected checks failed; each that did is named with its finding."""
    if failures:  # raised, not asserted: pytest's rewritten assert would print the list a second time
        raise AssertionError(f"{len(failures)} of {judged} checks failed:\n" + "\n".join(failures))
