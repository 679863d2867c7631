"""One run's settings (options over the domains file) and its engine (DNS layer and audit)."""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import dns.name
import dns.resolver

from .catalog import CHECKS
from .config import Config, ConfigError, load_config, parse_resolver
from .config_values import NOT_A_SELECTOR, is_selector
from .dnslayer.layer import DnsLayer
from .dnslayer.resolver import Server, WireSource, ask
from .dnslayer.zonelines import record_lines
from .forked import ForkedWarmUp
from .forked import available as forked_available
from .inputs import InputError, exists
from .result import FIXED, REGRESSION, Outcome, Result, change_between

if TYPE_CHECKING:  # imported where the engine is made: the checks' libraries are no cost of loading the plugin
    from .audit import Audit
    from .forked_pair import PairedWarmUp

#: Checks that ask the name servers themselves: zone files cannot answer them (they run live in a comparison).
LIVE_SERVER_CHECKS = frozenset({"ns.authoritative", "ns.serial-consistent", "ns.parent-match"})


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder where possible."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class SettingsError(Exception):
    """A problem with the run's input, reported as one line without a traceback."""


def with_selectors(config: Config, selectors: list[str] | None) -> Config:
    """``--dkim-selector``: the selectors of every domain that lists none of its own (the file's default replaced)."""
    if not selectors:
        return config
    names: list[str] = []
    for text in selectors:
        name = text.strip().lower()
        if not is_selector(name):
            raise SettingsError(f"--dkim-selector {text!r}: {NOT_A_SELECTOR}")
        if name not in names:
            names.append(name)
    default = config.dkim_selectors
    domains = tuple(replace(e, dkim_selectors=tuple(names)) if e.dkim_selectors in ((), default) else e
                    for e in config.domains)
    return replace(config, domains=domains, dkim_selectors=tuple(names))


def _named_config(pyconfig) -> Config | None:
    """The configuration of the domains named with --domain (None when none is), with --sending-ip and --helo for
    a single one (:mod:`mailtests.named`); --dkim-selector applies to them as to a file (:func:`with_selectors`)."""
    from .named import NamedDomainsError, config_from_names

    names = pyconfig.getoption("domain", None) or []
    per_domain = [pyconfig.getoption(key, None) or [] for key in ("sending_ip", "helo")]
    if not names:
        if any(per_domain):
            raise SettingsError("--sending-ip and --helo describe a domain named on the command line "
                                "(`mailtests example.com --helo mail.example.com`); in a domains file, use its "
                                "keys sending_ips and helo")
        return None
    if pyconfig.getoption("domains"):
        raise SettingsError("name domains on the command line or give --domains=PATH, not both")
    try:
        return config_from_names(names, *per_domain)
    except NamedDomainsError as exc:
        raise SettingsError(str(exc)) from None


def _with_trust_anchor(config: Config, option: str | None, cwd: Path) -> Config:
    """``--trust-anchor FILE`` over ``trust_anchor:``; the file is read now, so a bad one stops the run at once."""
    from .dnssec import TrustAnchorError, load_trust_anchor

    if option:
        config = replace(config, trust_anchor=cwd / option)
    try:
        load_trust_anchor(config.trust_anchor)
    except TrustAnchorError as exc:
        raise SettingsError(f"--trust-anchor: {exc}" if option else str(exc)) from None
    return config


def _shard_option(pyconfig):
    """``--shard K/N`` as a :class:`mailtests.shard.Shard` (None without it)."""
    from .shard import ShardError, parse_shard

    text = pyconfig.getoption("shard", None)
    if text is None:
        return None
    try:
        return parse_shard(text)
    except ShardError as exc:
        raise SettingsError(str(exc)) from None


class Settings:
    """The domains file, with command-line options applied over it."""

    def __init__(self, config: Config, resolvers: list[Server], timeout: float, zones: list[Path], offline: bool,
                 concurrency: int = 64, compare_live: bool = False, fail_on: str = "any", shard=None):
        self.config = config
        self.shard = shard  # --shard K/N (mailtests.shard.Shard): only its share of the domains is tested
        self.domains_total = len(config.domains)
        self.domains = config.domains if shard is None else shard.share(config.domains)
        self.resolvers = resolvers
        self.timeout = timeout
        self.zones = zones
        self.offline = offline
        self.concurrency = concurrency
        self.compare_live = compare_live
        self.fail_on = fail_on

    @classmethod
    def from_pytest(cls, pyconfig) -> Settings:
        cwd = Path(pyconfig.invocation_params.dir)
        config = _named_config(pyconfig)
        if config is None:
            path = Path(pyconfig.getoption("domains") or "domains.yaml")
            try:
                if not path.is_absolute() and not exists(path):
                    path = cwd / path
                missing = not exists(path)
            except InputError as exc:  # too long, NUL: refused here, never read
                raise SettingsError(f"--domains {path}: cannot read: {exc}") from None
            if not pyconfig.getoption("domains") and missing:
                raise SettingsError(f"no domains to audit: {display_path(path)} does not exist; name domains "
                                    "(`mailtests example.com`, `--domain NAME`) or a file (--domains=PATH)")
            try:
                config = load_config(path)
                gc.freeze()  # the run's configuration lives as long as the run: the collector need not walk it again
            except ConfigError as exc:
                raise SettingsError(str(exc)) from None
        resolvers = []
        for text in pyconfig.getoption("resolver") or []:
            try:
                r = parse_resolver(text)
            except ValueError as exc:
                raise SettingsError(f"--resolver {text}: {exc}") from None
            resolvers.append(Server(r.address, r.port))
        if not resolvers:
            resolvers = [Server(r.address, r.port) for r in config.resolvers]
        zones = [cwd / z for z in pyconfig.getoption("zones") or []] or list(config.zones)
        for z in zones:
            try:
                found = exists(z)
            except InputError as exc:
                raise SettingsError(f"--zones {z}: {exc}") from None
            if not found:
                raise SettingsError(f"--zones {z}: no such file or folder")
        timeout = pyconfig.getoption("dns_timeout") or config.timeout
        if not 0 < timeout <= 60:
            raise SettingsError(f"--dns-timeout {timeout}: give a number of seconds above 0 and at most 60")
        config = replace(config, timeout=timeout)  # the checks read the run's timeout from the config
        config = with_selectors(config, pyconfig.getoption("dkim_selector", None))
        config = _with_trust_anchor(config, pyconfig.getoption("trust_anchor"), cwd)
        offline = bool(pyconfig.getoption("offline")) or config.offline
        if offline and not zones:  # the file and the command line are one configuration: either may give the zones
            where = "--offline" if pyconfig.getoption("offline") else f"{config.path}: offline: true"
            raise SettingsError(f"{where} asks only zone files: give --zones PATH (or `zones:` in the domains file)")
        compare_live = bool(pyconfig.getoption("compare_live"))
        fail_on = pyconfig.getoption("fail_on")
        if compare_live and (offline or not zones):
            raise SettingsError("--compare-live compares the zone files with live DNS: give --zones (or `zones:`) "
                                "and drop --offline (or `offline: true`)")
        if fail_on == "regression" and not compare_live:
            raise SettingsError("--fail-on regression needs --compare-live: regressions are changes against live DNS")
        config = _smtp_options(pyconfig, config, cwd)
        return cls(config, resolvers, timeout, zones, offline, config.concurrency, compare_live, fail_on,
                   _shard_option(pyconfig))

    @property
    def runs_per_run_checks(self) -> bool:
        """Whether this run tests what is tested once per run (resolver health): not in shards 2 to N."""
        return self.shard is None or self.shard.runs_per_run_checks

    def resolver_servers(self) -> list[Server]:
        """The configured resolvers, else the system's (resolv.conf)."""
        if self.offline:
            return []
        if self.resolvers:
            return self.resolvers
        try:
            system = dns.resolver.Resolver(configure=True)
        except Exception as exc:  # no resolv.conf, unreadable, empty
            raise SettingsError(f"no resolver configured and the system's cannot be read ({exc}): "
                                "give --resolver ADDR or `resolvers:` in the domains file") from None
        return [Server(str(ns), 53) for ns in system.nameservers]

    def metadata(self, **extra) -> dict:
        from .results import versions

        return {
            **extra,
            "domains_file": str(self.config.path),
            "domains_file_sha256": self.config.sha256,
            "domains": len(self.domains),
            "resolvers": [str(s) for s in self.resolver_servers()],
            "zone_files": [str(z) for z in self.zones],
            "offline": self.offline,
            "compare_live": self.compare_live,
            "fail_on": self.fail_on,
            "timeout": self.timeout,
            "smtp": bool(self.config.smtp),
            "versions": versions(),
            **({"shard": self.shard.to_dict(self.domains_total)} if self.shard is not None else {}),
        }


def _smtp_options(pyconfig, config: Config, cwd: Path) -> Config:
    """--smtp, --smtp-timeout and --ca-file over the domains file's smtp, smtp_timeout and ca_file."""
    smtp_timeout = pyconfig.getoption("smtp_timeout", None) or config.smtp_timeout
    if not 0 < smtp_timeout <= 300:
        raise SettingsError(f"--smtp-timeout {smtp_timeout}: give a number of seconds above 0 and at most 300")
    ca_file = pyconfig.getoption("ca_file", None)
    ca_path = (cwd / ca_file if ca_file else None) or config.ca_file
    if ca_path is not None and not Path(ca_path).is_file():
        raise SettingsError(f"--ca-file {ca_path}: no such file")
    return replace(config, smtp=bool(pyconfig.getoption("smtp", None)) or config.smtp, smtp_timeout=smtp_timeout,
                   ca_file=ca_path)


class Engine:
    """The DNS layer and the audit of one run."""

    def __init__(self, settings: Settings):
        # The audit (every check module, dns.dnssec, cryptography) and the probes (ssl, http.client, smtplib) are
        # imported here, not with the plugin, which pytest loads in every run of an environment it is installed in.
        from .audit import Audit
        from .dnslayer.zonefiles import ZoneFileError, ZoneSource
        from .probes import ProbeLayer

        self.settings = settings
        zones = None
        if settings.zones:
            try:
                zones = ZoneSource(settings.zones)
            except ZoneFileError as exc:
                raise SettingsError(str(exc)) from None
        servers = settings.resolver_servers()
        resolver = WireSource(servers, timeout=settings.timeout) if servers else None
        self.live: Audit | None = None
        # SMTP sessions and HTTPS fetches, once per run (with --compare-live, both audits share them)
        self.probes = ProbeLayer.from_config(settings.config, offline=settings.offline)
        if settings.compare_live:
            live_layer = DnsLayer(resolver, timeout=settings.timeout)
            self.live = Audit(live_layer, settings.config, self.probes)  # the same sessions and fetches
            self.layer = DnsLayer(None, zones, timeout=settings.timeout, upstream=live_layer)
        else:
            self.layer = DnsLayer(resolver, zones, offline=settings.offline, timeout=settings.timeout)
        self.audit = Audit(self.layer, settings.config, self.probes)
        self._lines: dict = {}
        self.forked: ForkedWarmUp | PairedWarmUp | None = None  # the warm-up processes, when results come from them
        self.warmup = "off"  # how the results were computed ahead of the tests: process(es), threads or off
        self.warmed: list[str] = []  # the domains the warm-up computed (a per-run subject such as a resolver: not)

    @property
    def layers(self) -> list[DnsLayer]:
        return [self.layer] + ([self.live.layer] if self.live else [])

    def dns_counts(self) -> dict[str, int]:
        """Questions sent to a source and answered from the run's cache, in this process and the warm-up's."""
        counts = {"sent": 0, "cached": 0}
        for layer in self.layers:
            counts["sent"] += layer.sent
            counts["cached"] += layer.cached
        if self.forked is not None:
            for key in counts:
                counts[key] += self.forked.stats.get(key, 0)
        return counts

    def result(self, subject: str, check_id: str) -> Result:
        """The verdict for the test; with --compare-live, the proposed zones' verdict marked against live DNS."""
        if self.forked is not None:
            found = self.forked.result((subject, check_id))
            if found is not None:
                return found
        if self.live is None:
            return self.audit.result(subject, check_id)
        live = self.live.result(subject, check_id)
        if check_id in LIVE_SERVER_CHECKS or CHECKS[check_id].per_run:
            proposed = replace(live, message=f"{live.message} (asked of the live servers: zone files have none)")
        else:
            proposed = self.audit.result(subject, check_id)
        change = change_between(proposed, live)
        if change in (REGRESSION, FIXED):
            changes = self._zone_changes(proposed, live)
            if changes:
                shown = "; ".join(changes[:3]) + (f"; and {len(changes) - 3} more" if len(changes) > 3 else "")
                proposed = replace(proposed, message=f"{proposed.message} [{change}; zone changes: {shown}]",
                                   details={**proposed.details, "zone_changes": changes})
        return replace(proposed, change=change, live=live)

    def _zone_changes(self, proposed: Result, live: Result) -> list[str]:
        """The records behind a changed verdict: those only in the zone files (with file:line) or only live."""

        def keyed(answers, zone_only: bool) -> dict:
            return {(r.name, r.rdtype, r.rdata.to_text()): a for a in answers for r in a.records
                    if not zone_only or a.server.startswith("zone:")}

        ours, theirs = keyed(proposed.evidence, True), keyed(live.evidence, False)
        asked = {(a.qname, a.rdtype) for a in proposed.evidence if a.server.startswith("zone:")}
        changes = []
        for key in ours.keys() - theirs.keys():
            where = self._line_of(key)
            changes.append(f"{where}: {key[0]} {key[1]} {key[2]}" if where else f"{key[0]} {key[1]} {key[2]}")
        for key in theirs.keys() - ours.keys():
            if (key[0], key[1]) in asked:
                changes.append(f"removed (live only): {key[0]} {key[1]} {key[2]}")
        return sorted(changes)

    def _line_of(self, key: tuple) -> str | None:
        zones = self.layer.zones
        apex = zones.apex_for(key[0]) if zones else None
        if apex is None:
            return None
        if apex not in self._lines:
            self._lines[apex] = record_lines(zones.zones[apex][1], apex)
        where = self._lines[apex].get(key)
        return f"{display_path(where[0])}:{where[1]}" if where else None

    def check_resolvers(self) -> tuple[str, list[Result]] | None:
        """When no resolver answers: one message and a failed resolver.reachable result per resolver.

        Asked once, before any domain, so that a dead resolver stops the run in
        seconds instead of a timeout per domain (catalog, "Resolver health").
        """
        resolver = (self.live.layer if self.live else self.layer).resolver
        if resolver is None:
            return None
        timeout = min(self.settings.timeout, 2.0)
        servers = resolver.servers
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            probes = list(pool.map(lambda s: ask(s, dns.name.root, "NS", timeout), servers))
        if any(a.ok for a in probes):
            return None
        detail = "; ".join(f"{a.server}: {a.error or a.rcode}" for a in probes)
        message = f"no configured resolver answers ({detail}), so nothing was checked."
        fallbacks = [Server(f.address, f.port) for f in self.settings.config.fallback_resolvers]
        answering = [str(f) for f in fallbacks if ask(f, dns.name.root, "NS", timeout).ok]
        if answering:
            message += (f" The fallback resolver {', '.join(answering)} answers: the local resolver "
                        "configuration is broken.")
        spec = CHECKS["resolver.reachable"]
        results = [Result(a.server, spec.id, spec.severity, Outcome.FAIL,
                          f"{a.server} does not answer ({a.error or a.rcode}). {message}", evidence=[a])
                   for a in probes]
        return message, results

    def warm_up(self, pairs: list[tuple[str, str]], mode: str = "process", processes: int | None = None) -> None:
        """Compute the results of ``pairs`` ahead of the tests: in child processes that stream them in the
        tests' order (``process``, where :func:`mailtests.forked.available`; two of them from
        :data:`mailtests.forked_pair.PAIR_FROM` domains, or as ``processes`` says), or with threads here first."""
        self.warmed = list(dict.fromkeys(domain for domain, check_id in pairs if not CHECKS[check_id].per_run))
        if mode == "process" and self.live is None and forked_available():
            from .forked_pair import PAIR_FROM, PairedWarmUp

            audit = self.audit
            domains = len({domain for domain, _ in pairs})
            audit.keep_facts(domains)  # in the tests' order, a domain's checks

            def stats() -> dict:
                return {"sent": self.layer.sent, "cached": self.layer.cached}

            if (processes or (2 if domains >= PAIR_FROM else 1)) >= 2 and domains >= 2:
                self.forked = PairedWarmUp(pairs, audit.compute, self.settings.concurrency, self.layer, self.probes,
                                           done=audit.forget_facts, stats=stats)
                self.warmup = "processes"
            else:
                self.forked = ForkedWarmUp(pairs, audit.compute, self.settings.concurrency,
                                           done=audit.forget_facts, stats=stats)
                self.warmup = "process"
            return
        self.warmup = "threads"
        for audit in (self.audit, self.live):
            if audit is not None:
                audit.warm_up(pairs, workers=self.settings.concurrency)

    def close(self) -> str | None:
        """Stop the warm-up process if one still runs; say why it stopped early, if it did (else None)."""
        if self.forked is None:
            return None
        self.forked.close()
        return self.forked.failure
