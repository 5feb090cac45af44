"""The case library's build pipeline: load → validate → render → index → export."""
