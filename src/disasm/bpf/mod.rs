//! eBPF instruction decoder and printer in the kernel verifier's syntax.
