"""Further PrestaShop installations in the same code location (``PRESTASHOP_INFOR_SOURCES``).

The main installation's definitions are the project's (``prestashop_infor.defs``): asset keys such as
``prestashop_orders``, jobs such as ``order_sync_job``. A further installation, a *source* named
``outlet``, gets the same definitions under its name: every asset key prefixed (``outlet/prestashop_orders``,
read from and written to its own store), its groups ``outlet_prestashop``..., its jobs, schedules and
sensors ``outlet__order_sync_job``... Its runs carry the ``names.SOURCE_TAG`` tag; a run launched on
its assets from the UI is known by their keys. The resources are the same objects for every
source: each resolves, when a run starts, the settings of the run's source
(:class:`SourceResource`), so an asset's code is the same for every installation, and what the UI
draws for ``outlet`` is what ``outlet``'s runs do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import PrivateAttr

from prestashop_infor import names
from prestashop_infor.settings import Settings

if TYPE_CHECKING:  # what dg.define_asset_job returns
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition as AssetJob,
    )


@dataclass(frozen=True)
class Source:
    """One PrestaShop installation's names in the definitions; ``name`` None is the main one."""

    name: str | None = None

    def named(self, base: str) -> str:
        """A job's, schedule's or sensor's name for this installation: ``outlet__order_sync_job``."""
        return base if self.name is None else f"{self.name}__{base}"

    def key(self, key: str | dg.AssetKey) -> dg.AssetKey:
        """An asset's key for this installation: ``outlet/prestashop_orders``."""
        key = dg.AssetKey.from_coercible(key)
        return key if self.name is None else dg.AssetKey([self.name, *key.path])

    def group(self, group: str) -> str:
        return group if self.name is None else f"{self.name}_{group}"

    @property
    def tags(self) -> dict[str, str]:
        """The tags its runs carry."""
        return {} if self.name is None else {names.SOURCE_TAG: self.name}


MAIN = Source()


def configured_sources() -> list[Source]:
    """The further installations ``PRESTASHOP_INFOR_SOURCES`` names, read leniently when the code
    location loads (a bad value is logged: no further installation)."""
    return [Source(name) for name in Settings.read_leniently().sources]


class RunSourceError(ValueError):
    """A run selects the assets of more than one installation."""


def source_of_run(run: dg.DagsterRun | None) -> str | None:
    """The installation a run works for: its ``names.SOURCE_TAG``, else its job's name's prefix
    (``outlet__order_sync_job``), else the prefix its selected assets' keys share; None for the main
    installation (and outside a run)."""
    if run is None:
        return None
    named = names.source_named_by(run.job_name, dict(run.tags))
    if named:
        return named
    keys = [*(run.asset_selection or ()), *(check.asset_key for check in run.asset_check_selection or ())]
    prefixes = {key.path[0] if len(key.path) > 1 else None for key in keys}
    if len(prefixes) > 1:
        shown = ", ".join(sorted(prefix or "main" for prefix in prefixes))
        raise RunSourceError(
            f"a run works for one PrestaShop installation; this one selects assets of {shown}"
        )
    return prefixes.pop() if prefixes else None


class SourceResource(dg.ConfigurableResource):
    """What a resource of every installation adds: the run's source (:func:`source_of_run`), known
    when the run starts; outside a run (a sensor) the caller names it."""

    _run_source: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_source = source_of_run(context.run)

    @property
    def run_source(self) -> str | None:
        return self._run_source

    def installation(self, source: Source | None = None) -> str | None:
        """The name of ``source``, else of the run's installation; None for the main one."""
        return source.name if source is not None else self._run_source

    def settings(self, source: Source | None = None) -> Settings:
        """The settings of ``source``, else of the run's installation (strictly: a bad value fails
        the run, naming the variable)."""
        return Settings.read(self.installation(source))


def with_source_keys(defs: dg.Definitions, source: Source) -> tuple[list, list]:
    """``defs``'s assets and asset checks under ``source``'s keys and groups (the same code)."""
    graph = defs.resolve_asset_graph()
    replaced = {key: source.key(key) for key in graph.get_all_asset_keys()}
    assets: list = []
    for asset in defs.assets or ():
        if isinstance(asset, dg.AssetSpec):
            assets.append(
                asset.replace_attributes(
                    key=replaced[asset.key],
                    group_name=source.group(asset.group_name or "default"),
                    deps=[dg.AssetDep(replaced[dep.asset_key]) for dep in asset.deps],
                )
            )
            continue
        renamed = asset.with_attributes(asset_key_replacements=replaced)
        assets.append(
            renamed.map_asset_specs(
                lambda spec: spec.replace_attributes(group_name=source.group(spec.group_name or "default"))
            )
        )
    checks = [check.with_attributes(asset_key_replacements=replaced) for check in defs.asset_checks or ()]
    return assets, checks


def job_for(job: AssetJob, source: Source, graph) -> AssetJob:
    """The main installation's asset job ``job`` for ``source``: the same assets and checks under its
    keys, its name, and its tag."""
    keys = job.selection.resolve(graph)
    checks = job.selection.resolve_checks(graph)
    selection = dg.AssetSelection.assets(
        *(source.key(key) for key in keys)
    ).without_checks() | dg.AssetSelection.checks(
        *(dg.AssetCheckKey(source.key(check.asset_key), check.name) for check in checks)
    )
    return dg.define_asset_job(
        source.named(job.name),
        selection=selection,
        config=job.config,
        description=job.description,
        tags={**(job.tags or {}), **source.tags},
        # the runs' tags: the main job's (which are its tags when it names none of its own), and the source
        run_tags={**(job.run_tags if job.run_tags is not None else job.tags or {}), **source.tags},
        partitions_def=job.partitions_def,
        executor_def=job.executor_def,
        hooks=job.hooks,
        op_retry_policy=job.op_retry_policy,
    )
