"""SMTP TLS reporting (RFC 8460 §3): the `_smtp._tls` record."""

from __future__ import annotations

from ..catalog import Severity
from ..mtasts import parse_tlsrpt_record
from ..result import Finding, failed, passed, skipped
from . import check
from .common import listing
from .context import Context
from .transport import sts_records, tlsa_sets, txt_records

EXAMPLE = "v=TLSRPTv1; rua=mailto:tlsrpt@"


@check("tlsrpt.record")
def tlsrpt_record(ctx: Context) -> Finding:
    """RFC 8460 §3: exactly one `v=TLSRPTv1;` record whose `rua` lists mailto: or https: URIs."""
    name = f"_smtp._tls.{ctx.domain}"
    records = txt_records(ctx, name, "v=TLSRPTv1")
    example = f'`{name}. TXT "{EXAMPLE}{ctx.domain}"`'
    if not records:
        deployed = [what for what, present in (("MTA-STS", bool(sts_records(ctx))), ("DANE", bool(tlsa_sets(ctx))))
                    if present]
        if not deployed:
            return skipped(f"{ctx.domain} publishes no TLS-RPT record and deploys neither MTA-STS nor DANE")
        return failed(f"{ctx.domain} deploys {' and '.join(deployed)} but publishes no TLS-RPT record at {name}: "
                      f"nobody hears when senders fail to connect securely. Publish {example}",
                      severity=Severity.WARN)
    if len(records) > 1:
        return failed(f"{name} has {len(records)} TLS-RPT records ({listing(f'`{r}`' for r in records)}): senders "
                      f"then send no reports (RFC 8460 §3). Keep exactly one, e.g. {example}", severity=Severity.FAIL,
                      records=records)
    record = parse_tlsrpt_record(records[0])
    if not record.valid:
        return failed(f"the TLS-RPT record of {ctx.domain} `{records[0]}` is malformed: {'; '.join(record.errors)}. "
                      f"Publish e.g. {example}", severity=Severity.FAIL, records=records)
    return passed(f"{name} publishes one valid TLS-RPT record; reports go to {listing(record.rua)}", records=records)
