"""The OLTP source: the shop's Postgres (embedded by default), its schema, seed and workload."""
