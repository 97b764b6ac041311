"""The metadata store: contracts, dataset descriptions, owners, schema versions, the last
materialization of each dataset, and stream checkpoints, with a change stream.

`store` defines the interface and the domain operations over generic items; `sqlite_store`
(local profile) and `dynamo_store` (prod: DynamoDB with Streams) implement it. `publish`
writes every contract, `resources` configures a store per profile, `checks` / `sensors`
re-check datasets whose contract changed and record materializations.
"""
