"""The DNS layer: how answers are fetched (resolver, servers, zone files), cached and recorded."""

from .answer import Answer, Record
from .layer import DnsLayer, Recorder
from .resolver import Server, WireSource

__all__ = ["Answer", "DnsLayer", "Record", "Recorder", "Server", "WireSource"]
