"""Pure call policy: events in, actions out. No clocks, no I/O (see DESIGN.md)."""
