"""What every zone uses to store things, zone-neutral: durable atomic file writes, opening a
Delta table, the platform's values in Delta commits, and UTC time parsing.

Zones, the loader and the demo import from here, never from another zone's modules.
"""
