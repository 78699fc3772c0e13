"""Zhunru engine: definitions, runtime, persistence, timers, history. Never imports Flask."""
