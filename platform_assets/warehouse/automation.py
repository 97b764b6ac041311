"""When each part of the warehouse refreshes on its own (besides the CDC runs).

- staging, intermediate, snapshot, dims: `eager`, a fallback; CDC batches reach them inside
  the sensor's run (platform_assets/orchestration/cdc_chain.py).
- facts (daily partitions): the current day is re-derived hourly (`on_cron`). CDC runs apply
  every loaded change to them without a partition; eager would then launch a partition run
  after every batch that the batch's run already covered.
- marts downstream of the facts: every 5 minutes if anything they read changed. They
  aggregate whole days; rebuilding them in every CDC run held the single-writer warehouse
  for ~11 s per batch and doubled the time a change took to reach `fct_orders`.
- the docs site: hourly, if a model was built since (it documents models, not rows).
"""

from dagster import AutomationCondition

FACTS_CRON = "0 * * * *"
MARTS_CRON = "*/5 * * * *"
DOCS_CRON = "0 * * * *"


def periodic_after_updates(cron: str, label: str) -> AutomationCondition:
    """Once per cron tick, if any dependency was updated since this asset last ran.

    Not gated on dependencies in progress (as eager is): under a steady stream of changes a
    CDC run is nearly always updating the facts, and the marts would never refresh. The
    warehouse pool keeps the builds apart, and each reads a committed state of the facts.
    """
    return (
        AutomationCondition.cron_tick_passed(cron).since_last_handled()
        & AutomationCondition.any_deps_updated().since_last_handled()
        & ~AutomationCondition.in_progress()
    ).with_label(label)


FACTS = AutomationCondition.on_cron(FACTS_CRON)
MARTS = periodic_after_updates(MARTS_CRON, "every 5 minutes after an update")
DOCS = periodic_after_updates(DOCS_CRON, "hourly after a build")
BASE = AutomationCondition.eager()
