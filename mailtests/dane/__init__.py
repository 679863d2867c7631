"""DANE for SMTP (RFC 7672, RFC 7671): TLSA records judged and matched against a certificate chain. No I/O."""
