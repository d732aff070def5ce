"""The Kubernetes deployment (docker/k8s/), checked statically: no cluster, Helm or registry needed.

``docker/k8s/values.yaml`` is checked against the facts of the chart's published values schema
written down below in our own form (:data:`CHART`), key by key and type by type; then against the
compose deployment it mirrors (the same instance settings, pools and limits), and the code server's
command is parsed by Dagster's own CLI. The two plain manifests (the receiver, the store's
migration) are checked against the CLI commands they run and the variables those read, and the
Secrets and ConfigMap they name against what ``docker/k8s/README.md`` tells the operator to create.
"""

from __future__ import annotations

import math
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from prestashop_infor.cli import build_parser
from prestashop_infor.infor.ionapi import ENV_FILE, ENV_PREFIX, REQUIRED_KEYS
from prestashop_infor.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "docker" / "k8s"

# -- the chart's values schema, as facts ------------------------------------------------------------
#
# dagster/dagster 1.13.27 (the Helm chart released with Dagster 1.13.27): its values.schema.json is
# generated from the pydantic models in helm/dagster/schema/schema/charts/ of dagster-io/dagster.
# Every fact below was checked against that source, read from these files at these commits (the
# newest stored version of each that could be read with its commit):
#   130d6715aa3acfe30c5ba8de90e1d6b0a402a608  dagster/subschema/daemon.py, dagster/subschema/retention.py,
#       utils/kubernetes.py, dagster_user_deployments/subschema/user_deployments.py
#   0f2d9d8ee1755dff289e167e49167d87f4977a9f  dagster/values.py, dagster/subschema/run_launcher.py,
#       dagster/subschema/telemetry.py, dagster/subschema/migrate.py, dagster/subschema/config.py
#   7dade7692d978f1a272d684596cc338ca7286042  dagster/subschema/concurrency.py
#   53ff29f32a20b39b6db5b1437cd7e377c977a486  dagster/subschema/global_.py
#   007010702fbdd4bc385d3a593dc6c1fb6000084e  dagster/subschema/postgresql.py
#   288c61136d5e84d67d20e165ba36f83fa401c396  dagster/subschema/webserver.py
#   0aa846cc3e2e80f8211d44fbee1764362f17e288  utils/utils.py
#   99dc34fc9b04c226607e051ab359f753258c071b  helm/dagster/templates/configmap-instance.yaml,
#       helm/dagster/templates/helpers/instance/_concurrency.tpl
#   03ec7fc9e6bb0e95ba22e72fae2159b3188bc4fb  helm/dagster/charts/dagster-user-deployments/values.schema.json
#       (how the generator renders the models: extra="forbid" gives additionalProperties false,
#       extra="allow" true, a plain model none, so it takes any key)
# No commit could be pinned to 1.13.27 itself: the stored helm/dagster/Chart.yaml
# (7ed5032462ce9dd2741ea5b8b5ab02d3d03ceebc) says version 0.0.1-dev, the number is set at release.
# Newer texts of webserver.py, postgresql.py and user_deployments.py are stored without a commit id;
# they agree with every fact used here. Only the keys values.yaml uses are written down, with their
# types; a model declared `extra="forbid"` refuses any other key (Closed), `extra="allow"`, a plain
# model (utils.BaseModel is one too) or a free mapping takes any (Open). Required keys are written
# down where no default fills them: in a list item, which gets nothing from the chart's values.yaml.
# Everything values.yaml leaves out keeps the chart's default from its values.yaml.
CHART_VERSION = "1.13.27"


@dataclass(frozen=True)
class Closed:
    """An object that takes only these keys; ``required`` must be given (a list item gets no defaults)."""

    keys: dict[str, Any]
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Open:
    """An object that takes these keys with these types, and any other key; ``required`` as for Closed."""

    keys: dict[str, Any]
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OneOf:
    """One of these values (an enum)."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Either:
    """A value of one of these types."""

    types: tuple[Any, ...]


@dataclass(frozen=True)
class ListOf:
    item: Any


PULL_POLICY = OneOf(("Always", "IfNotPresent", "Never"))  # kubernetes.PullPolicy
IMAGE = Open(  # kubernetes.Image, a plain model: tag may be a string, an integer or null (default null)
    {"repository": str, "tag": Either((str, int, type(None))), "digest": str, "pullPolicy": PULL_POLICY},
    required=frozenset({"repository", "pullPolicy"}),
)
INT_SOURCE = Either((int, Closed({"env": str}, frozenset({"env"}))))  # config.IntSource: int | Source
SECRET_ENV_SOURCE = Open({"name": str, "optional": bool})  # io.k8s.api.core.v1.SecretEnvSource
CONFIG_MAP_ENV_SOURCE = Open({"name": str, "optional": bool})  # io.k8s.api.core.v1.ConfigMapEnvSource
VOLUME = Open({"name": str, "configMap": Open({"name": str, "optional": bool})})  # ...core.v1.Volume
VOLUME_MOUNT = Open({"name": str, "mountPath": str, "readOnly": bool})  # io.k8s.api.core.v1.VolumeMount
TAG_LIMIT = Closed(  # concurrency.TagConcurrencyLimit
    {"key": str, "value": Either((str, dict, type(None))), "limit": int}, required=frozenset({"key", "limit"})
)
TAG_LIMIT_CONFIG = Closed({"applyLimitPerUniqueValue": bool}, frozenset({"applyLimitPerUniqueValue"}))
QUEUED_TAG_LIMIT = Closed(  # daemon.TagConcurrencyLimit: value is a string, TagConcurrencyLimitConfig or null
    {"key": str, "value": Either((str, TAG_LIMIT_CONFIG, type(None))), "limit": int},
    required=frozenset({"key", "limit"}),
)
THREADS = Open({"useThreads": bool, "numWorkers": int, "numSubmitWorkers": int})  # daemon.Sensors/...
TICK_RETENTION = Open(
    {  # TickRetention (plain): purgeAfterDays is days for every tick, or by type (all four required)
        "purgeAfterDays": Either(
            (int, Closed({"skipped": int, "success": int, "failure": int, "started": int},
                         required=frozenset({"skipped", "success", "failure", "started"})))
        )
    }
)  # fmt: skip

CHART = Open(  # DagsterHelmValues (extra="allow" for the `dagit` alias); each section says its own
    {
        "global": Open(  # global_.Global, a plain model
            {"postgresqlSecretName": str, "dagsterHome": str, "serviceAccountName": str,
             "celeryConfigSecretName": str, "dagsterInstanceConfigMap": str}
        ),
        "generatePostgresqlPasswordSecret": bool,
        "postgresql": Open(  # postgresql.PostgreSQL, a plain model: a misspelt key passes the chart
            {"enabled": bool, "postgresqlHost": str, "postgresqlUsername": str, "postgresqlPassword": str,
             "postgresqlDatabase": str, "postgresqlParams": dict, "postgresqlScheme": str,
             "service": Open({"port": int})}
        ),
        "dagster-user-deployments": Open(  # user_deployments.UserDeployments, a plain model
            {
                "enabled": bool,
                "enableSubchart": bool,
                "deployments": ListOf(
                    Open(  # UserDeployment, a plain model
                        {"name": str, "image": IMAGE, "dagsterApiGrpcArgs": ListOf(str),
                         "codeServerArgs": ListOf(str), "port": int,
                         "includeConfigInLaunchedRuns": Open({"enabled": bool}, frozenset({"enabled"})),
                         "env": Either((dict, list)), "envConfigMaps": ListOf(CONFIG_MAP_ENV_SOURCE),
                         "envSecrets": ListOf(SECRET_ENV_SOURCE), "volumes": ListOf(VOLUME),
                         "volumeMounts": ListOf(VOLUME_MOUNT)},
                        required=frozenset({"name", "image", "port"}),
                    )
                ),
            }
        ),
        "dagsterWebserver": Closed(  # webserver.Webserver
            {"replicaCount": int, "image": IMAGE, "envSecrets": ListOf(SECRET_ENV_SOURCE),
             "envConfigMaps": ListOf(CONFIG_MAP_ENV_SOURCE), "enableReadOnly": bool}
        ),
        "runLauncher": Closed(  # run_launcher.RunLauncher
            {
                "type": OneOf(("CeleryK8sRunLauncher", "K8sRunLauncher", "CustomRunLauncher")),
                "config": Open(  # RunLauncherConfig, a plain model
                    {
                        "k8sRunLauncher": Closed(
                            {"imagePullPolicy": PULL_POLICY, "loadInclusterConfig": bool, "jobNamespace": str,
                             "envConfigMaps": ListOf(CONFIG_MAP_ENV_SOURCE),
                             "envSecrets": ListOf(SECRET_ENV_SOURCE), "envVars": ListOf(str),
                             "volumes": ListOf(VOLUME), "volumeMounts": ListOf(VOLUME_MOUNT),
                             "runK8sConfig": Closed(
                                 {"containerConfig": dict, "podSpecConfig": dict,
                                  "podTemplateSpecMetadata": dict, "jobSpecConfig": dict, "jobMetadata": dict}
                             )}
                        )
                    }
                ),
            }
        ),
        "dagsterDaemon": Closed(  # daemon.Daemon
            {
                "enabled": bool,
                "runCoordinator": Closed(
                    {
                        "enabled": bool,
                        "type": OneOf(("QueuedRunCoordinator", "CustomRunCoordinator")),
                        "config": Open(  # RunCoordinatorConfig, a plain model
                            {
                                "queuedRunCoordinator": Closed(
                                    {"maxConcurrentRuns": INT_SOURCE,
                                     "tagConcurrencyLimits": ListOf(QUEUED_TAG_LIMIT),
                                     "dequeueIntervalSeconds": INT_SOURCE, "dequeueNumWorkers": INT_SOURCE,
                                     "dequeueUseThreads": bool,
                                     "blockOpConcurrencyLimitedRuns": Open(
                                         {"enabled": bool, "opConcurrencySlotBuffer": int})}
                                )
                            }
                        ),
                    }
                ),
                "runMonitoring": dict,  # dict[str, Any] in the schema; the chart's template reads the keys
                "runRetries": Open({"enabled": bool, "maxRetries": int, "retryOnAssetOrOpFailure": bool}),
                "sensors": THREADS,
                "schedules": THREADS,
                "backfills": THREADS,
            }
        ),
        "concurrency": Closed(  # concurrency.Concurrency, all of it extra="forbid"
            {
                "enabled": bool,
                "pools": Closed({"defaultLimit": int, "granularity": str, "opGranularityRunBuffer": int}),
                "runs": Closed({"maxConcurrentRuns": int, "tagConcurrencyLimits": ListOf(TAG_LIMIT)}),
            }
        ),
        "retention": Closed(  # retention.Retention
            {"enabled": bool, "sensor": TICK_RETENTION, "schedule": TICK_RETENTION,
             "autoMaterialize": TICK_RETENTION}
        ),
        "telemetry": Closed({"enabled": bool}),  # telemetry.Telemetry
        "migrate": Open({"enabled": bool}),  # migrate.Migrate, a plain model
    }
)  # fmt: skip
# What the chart's templates do with these values (templates/helpers/instance/_concurrency.tpl, the
# run monitoring block of templates/configmap-instance.yaml), which the schema alone does not say:
# concurrency.runs.maxConcurrentRuns and the queued coordinator's maxConcurrentRuns are never both
# set (the template fails), and these run-monitoring keys are the ones it renders.
RUN_MONITORING_KEYS = {
    "enabled",
    "startTimeoutSeconds",
    "pollIntervalSeconds",
    "cancelTimeoutSeconds",
    "maxResumeRunAttempts",
    "maxRuntimeSeconds",
    "freeSlotsAfterRunEndSeconds",
}


def problems(value: Any, fact: Any, path: str = "") -> list[str]:
    """Where ``value`` does not fit ``fact``, one message a place (empty: it fits)."""
    where = path or "(values)"
    if isinstance(fact, (Closed, Open)):
        if not isinstance(value, dict):
            return [f"{where}: a mapping, not {type(value).__name__}"]
        found = []
        if isinstance(fact, Closed):
            found += [f"{path}.{key}: no such key in the chart" for key in value if key not in fact.keys]
        found += [f"{path}.{key}: required" for key in sorted(fact.required - set(value))]
        for key, item in value.items():
            if key in fact.keys:
                found += problems(item, fact.keys[key], f"{path}.{key}" if path else key)
        return found
    if isinstance(fact, ListOf):
        if not isinstance(value, list):
            return [f"{where}: a list, not {type(value).__name__}"]
        return [p for index, item in enumerate(value) for p in problems(item, fact.item, f"{path}[{index}]")]
    if isinstance(fact, OneOf):
        return [] if value in fact.values else [f"{where}: {value!r} is not one of {list(fact.values)}"]
    if isinstance(fact, Either):
        return [] if any(not problems(value, each, path) for each in fact.types) else [f"{where}: {value!r}"]
    if fact is int and isinstance(value, bool):  # YAML's true is no integer here
        return [f"{where}: an integer, not a boolean"]
    if isinstance(fact, type) and not isinstance(value, fact):
        return [f"{where}: {fact.__name__}, not {type(value).__name__} ({value!r})"]
    return []


def _yaml(name: str) -> Any:
    return yaml.safe_load((K8S / name).read_text(encoding="utf-8"))


def _documents(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return _yaml("values.yaml")


@pytest.fixture(scope="module")
def docker_instance() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker" / "dagster.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _readme_commands() -> list[list[str]]:
    """The shell commands of docker/k8s/README.md's ```sh blocks, each as its words."""
    text = (K8S / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip():
                commands.append(shlex.split(line))
    return commands


def _created(kind: str) -> dict[str, set[str]]:
    """The Secrets (``kind="secret"``) or ConfigMaps the README creates with kubectl, and their keys."""
    made: dict[str, set[str]] = {}
    for words in _readme_commands():
        if words[:1] == ["kubectl"] and "create" in words and kind in words:
            rest = words[words.index(kind) + 1 :]
            if kind == "secret":
                assert rest[0] == "generic", words
                rest = rest[1:]
            name, options = rest[0], rest[1:]
            keys = set()
            for option in options:
                if option.startswith(("--from-literal=", "--from-file=")):
                    source = option.split("=", 1)[1]
                    keys.add(source.split("=", 1)[0] if "=" in source else Path(source).name)
            made[name] = keys
    return made


# -- the values against the chart -------------------------------------------------------------------


def test_the_fact_checker_refuses_what_the_chart_would():
    """The checker is the test: a key the chart does not know, a wrong type, a value outside an enum
    and a missing required key are each reported."""
    assert problems({"runLauncher": {"type": "K8sRunLauncher", "config": {}}}, CHART) == []
    assert problems({"runLauncher": {"type": "K8sRunlauncher"}}, CHART) == [
        "runLauncher.type: 'K8sRunlauncher' is not one of ['CeleryK8sRunLauncher', 'K8sRunLauncher', "
        "'CustomRunLauncher']"
    ]
    assert problems({"telemetry": {"enable": False}}, CHART) == ["telemetry.enable: no such key in the chart"]
    assert problems({"postgresql": {"host": "x"}}, CHART) == []  # a plain model: the chart takes any key
    assert problems({"concurrency": {"pools": {"defaultLimit": "1"}}}, CHART) == [
        "concurrency.pools.defaultLimit: int, not str ('1')"
    ]
    assert problems({"telemetry": {"enabled": 1}}, CHART) == ["telemetry.enabled: bool, not int (1)"]
    deployment = {"dagster-user-deployments": {"deployments": [{"name": "x", "port": 4000}]}}
    assert problems(deployment, CHART) == ["dagster-user-deployments.deployments[0].image: required"]
    retention = {"retention": {"sensor": {"purgeAfterDays": {"skipped": 1}}}}
    assert problems(retention, CHART) == ["retention.sensor.purgeAfterDays: {'skipped': 1}"]


def test_values_use_only_keys_and_types_of_the_chart(values):
    assert problems(values, CHART) == []
    assert set(values["dagsterDaemon"]["runMonitoring"]) <= RUN_MONITORING_KEYS
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    assert f"version {CHART_VERSION}" in readme and f"--version {CHART_VERSION}" in readme
    assert f"dagster/dagster {CHART_VERSION}" in (K8S / "values.yaml").read_text(encoding="utf-8")


def test_the_chart_version_is_the_dagster_familys(pyproject):
    pins = dict(d.split("==") for d in pyproject["project"]["dependencies"] if d.startswith("dagster"))
    assert pins["dagster"] == CHART_VERSION
    dockerfile = (K8S / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir --require-hashes -r /tmp/k8s.lock" in dockerfile
    assert "COPY requirements/k8s.lock /tmp/k8s.lock" in dockerfile
    lock = (K8S.parents[1] / "requirements" / "k8s.lock").read_text(encoding="utf-8")
    assert f"\ndagster-k8s=={pins['dagster-postgres']} \\\n" in lock  # the integrations' pin, hashed
    ignored = (K8S / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert "**" in ignored and "!requirements/k8s.lock" in ignored  # the context is the repository root
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", dockerfile, flags=re.M)
    assert dockerfile.rstrip().splitlines()[-1] == "USER dagster"  # back to the base's non-root user


def test_postgres_is_managed_and_its_password_a_secret(values):
    assert values["postgresql"]["enabled"] is False
    assert "postgresqlPassword" not in values["postgresql"]
    assert values["generatePostgresqlPasswordSecret"] is False
    secret = values["global"]["postgresqlSecretName"]
    assert _created("secret")[secret] == {"postgresql-password"}  # the key the chart reads
    assert values["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"  # as docker/dagster.yaml


def test_runs_are_kubernetes_jobs_of_the_code_locations_image(values, pyproject):
    from dagster._cli import cli as dagster_cli

    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert values["dagster-user-deployments"]["enabled"] is True
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}  # runs get its Secrets
    # the chart runs `dagster code-server start -h 0.0.0.0 -p <port> <codeServerArgs>`
    args = [
        "code-server",
        "start",
        "-h",
        "0.0.0.0",
        "-p",
        str(deployment["port"]),
        *deployment["codeServerArgs"],
    ]
    command = dagster_cli
    rest = list(args)
    while isinstance(command, click.Group):
        command, rest = command.get_command(click.Context(command), rest[0]), rest[1:]
    params = command.make_context(command.name, rest).params
    assert params["module_name"] == pyproject["tool"]["dagster"]["module_name"]
    assert params["port"] == 4000
    image = f"{deployment['image']['repository']}:{deployment['image']['tag']}"
    for manifest in ("receiver.yaml", "store-migration.yaml"):
        pods = [
            d["spec"]["template"]["spec"] for d in _documents(manifest) if d["kind"] in ("Deployment", "Job")
        ]
        assert [c["image"] for pod in pods for c in pod["containers"]] == [image], manifest
    ttl = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]["jobSpecConfig"]
    assert 0 < ttl["ttlSecondsAfterFinished"] <= 3600  # a finished run's Job goes, as compose's containers


def test_the_instance_is_the_compose_deployments(values, docker_instance):
    """The same queue, pools, monitoring, threads and retention as docker/dagster.yaml."""
    concurrency = values["concurrency"]
    assert concurrency["enabled"] is True
    assert (
        concurrency["pools"]["defaultLimit"] == docker_instance["concurrency"]["pools"]["default_limit"] == 1
    )
    runs = docker_instance["concurrency"]["runs"]
    assert concurrency["runs"] == {
        "maxConcurrentRuns": runs["max_concurrent_runs"],
        "tagConcurrencyLimits": runs.get("tag_concurrency_limits", []),
    }
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True and coordinator["type"] == "QueuedRunCoordinator"
    queued = coordinator["config"]["queuedRunCoordinator"]
    assert "maxConcurrentRuns" not in queued  # the chart fails with both set (concurrency.runs has it)
    assert queued == {
        # the chart's daemon is Dagster's own image, whose queue takes whole seconds
        "dequeueIntervalSeconds": math.ceil(
            docker_instance["run_coordinator"]["config"]["dequeue_interval_seconds"]
        ),
        "dequeueUseThreads": docker_instance["run_coordinator"]["config"]["dequeue_use_threads"],
        "dequeueNumWorkers": docker_instance["run_coordinator"]["config"]["dequeue_num_workers"],
    }
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    expected = docker_instance["run_monitoring"]
    assert monitoring == {
        "enabled": expected["enabled"],
        "startTimeoutSeconds": expected["start_timeout_seconds"],
        "pollIntervalSeconds": expected["poll_interval_seconds"],
        "maxResumeRunAttempts": expected["max_resume_run_attempts"],
        "freeSlotsAfterRunEndSeconds": expected["free_slots_after_run_end_seconds"],
        "maxRuntimeSeconds": expected["max_runtime_seconds"],
    }
    assert (
        values["dagsterDaemon"]["runRetries"]["enabled"] is docker_instance["run_retries"]["enabled"] is False
    )
    for section in ("sensors", "schedules", "backfills"):
        assert values["dagsterDaemon"][section] == {
            "useThreads": docker_instance[section]["use_threads"],
            "numWorkers": docker_instance[section]["num_workers"],
        }, section
    retention = values["retention"]
    assert retention["enabled"] is True
    sensor = docker_instance["retention"]["sensor"]["purge_after_days"]
    assert retention["sensor"]["purgeAfterDays"] == {
        **sensor,
        "started": -1,
    }  # -1: kept, as Dagster's default
    assert (
        retention["schedule"]["purgeAfterDays"]
        == docker_instance["retention"]["schedule"]["purge_after_days"]
    )
    assert values["telemetry"]["enabled"] is docker_instance["telemetry"]["enabled"] is False


def test_every_pool_of_the_project_is_one_step_at_a_time(values):
    """The pools the assets name are not configured one by one, so the chart's default limit, 1, is
    theirs: the ERP writes and each kind of shop write run one step at a time across all runs."""
    import prestashop_infor.defs

    graph = prestashop_infor.defs.defs.resolve_asset_graph()
    pools = {pool for key in graph.get_all_asset_keys() for pool in graph.get(key).pools or ()}
    assert pools == {"infor_erp", "prestashop_order_writes", "prestashop_stock_writes"}
    text = (K8S / "values.yaml").read_text(encoding="utf-8")
    assert all(f'"{pool}"' in text for pool in pools)  # named where the limit is set
    assert values["concurrency"]["pools"] == {"defaultLimit": 1}


# -- who gets which Secret --------------------------------------------------------------------------


def test_only_the_code_location_and_its_runs_get_the_shop_and_m3(values):
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    secrets = {s["name"] for s in deployment["envSecrets"]}
    assert secrets == {
        "prestashop-infor-store",
        "prestashop-infor-shop",
        "prestashop-infor-m3",
        "prestashop-infor-alerts",
    }
    # without the shop or M3 the code location still loads (its lanes stay stopped and say why)
    assert {s["name"] for s in deployment["envSecrets"] if s.get("optional")} == {
        "prestashop-infor-shop",
        "prestashop-infor-m3",
    }
    assert [c["name"] for c in deployment["envConfigMaps"]] == ["prestashop-infor-settings"]
    assert "envSecrets" not in values.get("dagsterWebserver", {})
    assert "envSecrets" not in values["dagsterDaemon"]
    assert (
        "envSecrets" not in values["runLauncher"]["config"]["k8sRunLauncher"]
    )  # they come with the location


def _container(manifest: str) -> dict[str, Any]:
    (pod,) = [
        d["spec"]["template"]["spec"] for d in _documents(manifest) if d["kind"] in ("Deployment", "Job")
    ]
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001}, manifest
    (container,) = pod["containers"]
    return container


def _variables(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each variable the container gets, with the (Secret or ConfigMap, key) it comes from; a whole
    Secret (envFrom) gives the keys the README creates it with."""
    created = _created("secret")
    found: dict[str, tuple[str, str]] = {}
    for source in container.get("envFrom", []):
        name = source["secretRef"]["name"]
        found.update({key: (name, key) for key in created[name]})
    for variable in container.get("env", []):
        ref = variable["valueFrom"].get("secretKeyRef") or variable["valueFrom"]["configMapKeyRef"]
        found[variable["name"]] = (ref["name"], ref["key"])
    return found


def test_the_receiver_gets_its_secret_the_store_and_the_shops_url_only():
    container = _container("receiver.yaml")
    args = build_parser().parse_args(container["command"][1:])
    assert container["command"][0] == "prestashop-infor" and args.handler.__name__ == "cmd_webhooks_serve"
    assert (args.host, args.port) == ("0.0.0.0", 8090)
    got = _variables(container)
    assert set(got) == {
        "PRESTASHOP_INFOR_DATABASE_URL",
        "PRESTASHOP_INFOR_DATABASE_SCHEMA",
        "WEBHOOK_SECRET",
        "PS_WEBHOOKS_TOKEN",
        "PRESTASHOP_URL",
        "PRESTASHOP_ALLOW_HTTP",
    }
    assert got["PS_WEBHOOKS_TOKEN"] == ("prestashop-infor-webhook", "PS_WEBHOOKS_TOKEN")
    assert got["PRESTASHOP_URL"] == ("prestashop-infor-shop", "PRESTASHOP_URL")  # not the shop's key
    assert got["WEBHOOK_SECRET"] == ("prestashop-infor-webhook", "WEBHOOK_SECRET")
    assert got["PRESTASHOP_ALLOW_HTTP"] == ("prestashop-infor-settings", "PRESTASHOP_ALLOW_HTTP")
    assert set(_yaml("settings.yaml")["data"]) >= {"PRESTASHOP_ALLOW_HTTP"}
    (port,) = container["ports"]
    assert port["containerPort"] == args.port
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": port["name"]}, probe
    (deployment,) = [d for d in _documents("receiver.yaml") if d["kind"] == "Deployment"]
    (service,) = [d for d in _documents("receiver.yaml") if d["kind"] == "Service"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    assert deployment["spec"]["replicas"] >= 2  # stateless: the inbox is the store


def test_the_store_migration_runs_db_upgrade_with_the_store_only():
    container = _container("store-migration.yaml")
    args = build_parser().parse_args(container["command"][1:])
    assert container["command"][0] == "prestashop-infor" and args.handler.__name__ == "cmd_db_upgrade"
    assert set(_variables(container)) == {"PRESTASHOP_INFOR_DATABASE_URL", "PRESTASHOP_INFOR_DATABASE_SCHEMA"}
    (job,) = _documents("store-migration.yaml")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def _code_location_secrets(values: dict[str, Any]) -> set[str]:
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return {s["name"] for s in deployment["envSecrets"]}


def test_the_readme_creates_every_secret_and_a_run_gets_every_setting(values):
    """Every Secret and ConfigMap the manifests name is created by the README (or settings.yaml), and
    together they hold every variable a run reads: the settings, the M3 connection by keys."""
    secrets = _created("secret")
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    named = {s["name"] for s in deployment["envSecrets"]} | {values["global"]["postgresqlSecretName"]}
    for manifest in ("receiver.yaml", "store-migration.yaml"):
        container = _container(manifest)
        named |= {s["secretRef"]["name"] for s in container.get("envFrom", [])}
        named |= {
            v["valueFrom"]["secretKeyRef"]["name"]
            for v in container.get("env", [])
            if "secretKeyRef" in v["valueFrom"]
        }
    assert named == set(secrets), named ^ set(secrets)
    settings = _yaml("settings.yaml")
    assert settings["kind"] == "ConfigMap" and settings["metadata"]["name"] == "prestashop-infor-settings"
    assert all(isinstance(value, str) for value in settings["data"].values())  # a ConfigMap holds strings
    run_gets = set(settings["data"]) | {
        key for name in _code_location_secrets(values) for key in secrets[name]
    }
    not_for_runs = {
        "WEBHOOK_SECRET",
        "PS_WEBHOOKS_TOKEN",
        "DAGSTER_HOME",
        ENV_FILE,
        "PRESTASHOP_INFOR_POOL_WAIT_SECONDS",
    }
    needed = {str(f.validation_alias) for f in Settings.model_fields.values()} - not_for_runs
    assert needed <= run_gets, needed - run_gets
    assert {ENV_PREFIX + key.upper() for key in REQUIRED_KEYS} <= secrets["prestashop-infor-m3"]
    assert not {"PRESTASHOP_API_KEY", "WEBHOOK_SECRET", ENV_PREFIX + "CS"} & set(
        settings["data"]
    )  # no secret


def test_the_readme_commands_name_files_that_exist():
    commands = _readme_commands()
    assert commands
    for words in commands:
        for index, word in enumerate(words):
            if word == "-f" and words[0] in ("kubectl", "helm", "docker"):
                assert (ROOT / words[index + 1]).is_file(), words
        if words[:2] == ["helm", "upgrade"]:
            assert words[words.index("--version") + 1] == CHART_VERSION
            assert "dagster/dagster" in words
