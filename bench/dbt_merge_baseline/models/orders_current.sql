-- The current state of orders, kept by dbt-duckdb's incremental merge: deletes delete,
-- the rest upserts. The first run loads the base table; later runs merge one change batch.
{{ config(
    materialized='incremental',
    unique_key='order_id',
    incremental_strategy='merge',
    merge_clauses={
      'when_matched': [
        {'condition': "DBT_INTERNAL_SOURCE.op = 'D'", 'action': 'delete'},
        {'action': 'update', 'mode': 'by_name'}
      ],
      'when_not_matched': [
        {'condition': "DBT_INTERNAL_SOURCE.op <> 'D'", 'action': 'insert', 'mode': 'by_name'}
      ]
    }
) }}
select * from read_parquet('{{ var("input") }}')
