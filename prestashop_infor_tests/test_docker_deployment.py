"""The Docker deployment (docker/), checked statically: no Docker daemon, image or registry needed.

The compose file is parsed and each service's image, command, dependencies, ports and environment
are checked against what the product expects; every command is parsed by the CLI that will run it;
docker/dagster.yaml is validated by Dagster's own instance schema and its queue limits computed by
Dagster's own code; the Dockerfile and docker/workspace.yaml are checked against both. The hardening
of issue 17: run containers removed when they end, step logs on a volume the webserver reads, each
service given only the variables it reads, and optional variables that may be left out of
docker/.env (the compose file is interpolated here as compose does, and each variable the run
launcher forwards is passed through Dagster's own ``parse_env_var``, as dagster_docker does).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import dagster as dg
import pytest
import yaml

from prestashop_infor.cli import build_parser
from prestashop_infor.infor.ionapi import ENV_FILE, ENV_PREFIX
from prestashop_infor.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
APP_SERVICES = ("migrate", "user_code", "webserver", "daemon", "webhook_receiver", "sandbox")
IMAGE = "${PRESTASHOP_INFOR_IMAGE:-prestashop-infor:local}"
POSTGRES_ENV = {
    "DAGSTER_POSTGRES_USER": "dagster_user",
    "DAGSTER_POSTGRES_PASSWORD": "not-a-secret",
    "DAGSTER_POSTGRES_HOST": "postgres",
    "DAGSTER_POSTGRES_DB": "dagster_db",
    "DAGSTER_POSTGRES_PORT": "5433",
}
# The ION API keys the integration reads one by one (ionapi.KNOWN_KEYS less the informational ones).
IONAPI_KEYS = ("ti", "cn", "ci", "cs", "iu", "pu", "oa", "ot", "or", "saak", "sask")
# Read by the code location or the receiver only, never by a run.
NOT_FOR_RUNS = {
    "WEBHOOK_SECRET",
    "PS_WEBHOOKS_TOKEN",
    "PRESTASHOP_INFOR_SCHEDULES",
    "PRESTASHOP_INFOR_SENSORS",
    "DAGSTER_HOME",
}
# dagster_docker 0.29.27: DockerRunLauncher.config_type() (dagster_docker/utils.py, DOCKER_CONFIG_SCHEMA).
# dagster-docker is installed in the image, not in the project (nothing in prestashop_infor imports
# it), so its schema is mirrored here rather than imported.
DOCKER_RUN_LAUNCHER_KEYS = {"image", "network", "registry", "env_vars", "container_kwargs", "networks"}
COMPUTE_LOGS = "/opt/dagster/logs"  # where every process that writes or reads step logs mounts them
# Required in docker/.env (compose stops, naming it, without one); every other variable may be left out.
REQUIRED = {
    "DAGSTER_POSTGRES_USER": "dagster",
    "DAGSTER_POSTGRES_PASSWORD": "not-a-secret",
    "DAGSTER_POSTGRES_DB": "dagster",
    "PRESTASHOP_INFOR_DATABASE_URL": "postgresql+psycopg2://dagster:not-a-secret@postgres:5432/dagster",
    "DOCKER_GID": "999",
}
# The shop's and M3's credentials: only what runs the project's code (the code server, the daemon
# that forwards them, the runs) holds them.
SHOP_CREDENTIALS = {"PRESTASHOP_API_KEY"}
STORE = {"PRESTASHOP_INFOR_DATABASE_URL", "PRESTASHOP_INFOR_DATABASE_SCHEMA"}


def _yaml(name: str) -> Any:
    return yaml.safe_load((DOCKER / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _yaml("docker-compose.yml")


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: {line!r} is not KEY=value"
            assert key not in values, f".env.example: {key} twice"
            values[key] = value
    return values


@pytest.fixture(scope="module")
def instance_yaml() -> dict[str, Any]:
    return _yaml("dagster.yaml")


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _settings_variables() -> set[str]:
    return {str(field.validation_alias) for field in Settings.model_fields.values()}


def _ionapi_variables() -> set[str]:
    return {ENV_FILE} | {ENV_PREFIX + key.upper() for key in IONAPI_KEYS}


def _flag(command: Sequence[str], flag: str) -> str:
    return command[list(command).index(flag) + 1]


def _click_params(group: click.Command, args: Sequence[str]) -> dict[str, Any]:
    """Parse ``args`` as the click CLI ``group`` would, down to the leaf command, without running it."""
    command, rest = group, list(args)
    while isinstance(command, click.Group):
        name, rest = rest[0], rest[1:]
        sub = command.get_command(click.Context(command), name)
        assert sub is not None, f"no command {name!r}"
        command = sub
    return command.make_context(command.name or "", rest).params


# -- the compose file ------------------------------------------------------------------------------


def test_compose_has_every_service_on_one_network(compose, services):
    assert set(services) == {"postgres", *APP_SERVICES}
    assert list(compose["networks"]) == ["prestashop_infor"]
    for name, service in services.items():
        assert service["networks"] == ["prestashop_infor"], name


def test_app_services_run_the_one_image_built_from_the_repository_root(services):
    for name in APP_SERVICES:
        service = services[name]
        assert service["image"] == IMAGE, name
        context = (DOCKER / service["build"]["context"]).resolve()
        assert context == ROOT, name
        assert (context / service["build"]["dockerfile"]) == DOCKER / "Dockerfile"
        assert "env_file" not in service, f"{name}: env_file hands it every variable of docker/.env"
    # the image runs use: the code server tags its definitions with it
    assert services["user_code"]["environment"]["DAGSTER_CURRENT_IMAGE"] == IMAGE
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"])


def test_commands_are_the_ones_the_product_documents(services, pyproject):
    assert services["migrate"]["command"] == ["prestashop-infor", "db", "upgrade"]
    code_server = services["user_code"]["command"]
    assert code_server[:3] == ["dagster", "code-server", "start"]
    assert _flag(code_server, "-h") == "0.0.0.0"
    assert _flag(code_server, "-p") == "4000"
    assert _flag(code_server, "-m") == pyproject["tool"]["dagster"]["module_name"]
    webserver = services["webserver"]["command"]
    assert webserver[0] == "dagster-webserver"
    assert (_flag(webserver, "-h"), _flag(webserver, "-p")) == ("0.0.0.0", "3000")
    assert _flag(webserver, "-w") == "/opt/dagster/workspace.yaml"
    daemon = services["daemon"]["command"]
    assert daemon[:2] == ["prestashop-infor", "daemon"]
    assert _flag(daemon, "-w") == "/opt/dagster/workspace.yaml"
    receiver = services["webhook_receiver"]["command"]
    assert receiver[:3] == ["prestashop-infor", "webhooks", "serve"]
    assert (_flag(receiver, "--host"), _flag(receiver, "--port")) == ("0.0.0.0", "8090")
    sandbox = services["sandbox"]["command"]
    assert sandbox[:2] == ["prestashop-infor", "sandbox"]
    assert services["sandbox"]["profiles"] == ["sandbox"]
    assert _flag(sandbox, "--webhook-url") == "http://webhook_receiver:8090/webhooks/prestashop"
    # reachable by the run containers: bound on the network, advertised by its service name
    assert (_flag(sandbox, "--host"), _flag(sandbox, "--advertised-host")) == ("0.0.0.0", "sandbox")


@pytest.mark.parametrize(
    ("service", "handler"),
    [
        ("migrate", "cmd_db_upgrade"),
        ("daemon", "cmd_daemon"),
        ("webhook_receiver", "cmd_webhooks_serve"),
        ("sandbox", "cmd_sandbox"),
    ],
)
def test_prestashop_infor_commands_parse(services, service, handler):
    """Each `prestashop-infor` command line is accepted by the CLI it runs (the sandbox's --host
    beyond loopback included: it comes with --advertised-host)."""
    command = services[service]["command"]
    assert command[0] == "prestashop-infor"
    args = build_parser().parse_args(command[1:])
    assert args.handler.__name__ == handler


def test_dagster_commands_parse(services):
    from dagster._cli import cli as dagster_cli
    from dagster_webserver.cli import cli as webserver_cli

    code_server = _click_params(dagster_cli, services["user_code"]["command"][1:])
    assert (code_server["host"], code_server["port"]) == ("0.0.0.0", 4000)
    # the workspace file is the image's copy of docker/workspace.yaml (checked with the Dockerfile)
    in_image = [
        str(DOCKER / "workspace.yaml") if arg == "/opt/dagster/workspace.yaml" else arg
        for arg in services["webserver"]["command"][1:]
    ]
    webserver = _click_params(webserver_cli, in_image)
    assert (webserver["host"], webserver["port"]) == ("0.0.0.0", 3000)
    health = services["user_code"]["healthcheck"]["test"]
    assert health[0] == "CMD"
    assert _click_params(dagster_cli, health[2:])["port"] == 4000


def test_everything_waits_for_postgres_and_the_store_migration(services):
    def conditions(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert conditions("migrate") == {"postgres": "service_healthy"}
    assert services["migrate"]["restart"] == "no"  # one shot
    for name in ("user_code", "webserver", "daemon", "webhook_receiver"):
        assert conditions(name)["postgres"] == "service_healthy", name
        assert conditions(name)["migrate"] == "service_completed_successfully", name
    for name in ("webserver", "daemon"):
        assert conditions(name)["user_code"] == "service_healthy", name
    assert "healthcheck" in services["user_code"]
    assert conditions("sandbox") == {"webhook_receiver": "service_healthy"}


def test_ports_are_published_on_loopback_except_the_receivers(services):
    published = {name: service.get("ports", []) for name, service in services.items()}
    assert published["webserver"] == ["127.0.0.1:3000:3000"]
    assert published["webhook_receiver"] == ["${WEBHOOK_RECEIVER_BIND:-0.0.0.0}:8090:8090"]
    for name, ports in published.items():
        if name != "webhook_receiver":
            for port in ports:
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert "ports" not in services["postgres"]
    assert "ports" not in services["user_code"]


def test_only_the_daemon_and_the_webserver_get_the_docker_socket(services):
    """The daemon launches run containers; the webserver stops one on "Terminate". The code server,
    the receiver (open to the shop) and the one-shot jobs never get root on the host."""
    socket = "/var/run/docker.sock:/var/run/docker.sock"
    for name, service in services.items():
        assert (socket in service.get("volumes", [])) == (name in ("daemon", "webserver")), name
    for name in ("daemon", "webserver"):
        assert "DOCKER_GID" in services[name]["group_add"][0], name


def test_every_variable_the_services_need_is_in_env_example(services, env_example, instance_yaml):
    compose_text = (DOCKER / "docker-compose.yml").read_text(encoding="utf-8")
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", compose_text))
    assert interpolated, "no ${...} in the compose file?"
    assert interpolated <= set(env_example), interpolated - set(env_example)
    # the integration's settings and the M3 credentials (DAGSTER_HOME is the image's)
    needed = (_settings_variables() - {"DAGSTER_HOME"}) | _ionapi_variables() | set(POSTGRES_ENV)
    assert needed <= set(env_example), needed - set(env_example)
    forwarded = instance_yaml["run_launcher"]["config"]["env_vars"]
    assert set(forwarded) <= set(env_example), set(forwarded) - set(env_example)


def test_env_example_holds_no_secret_and_points_the_store_at_the_same_postgres(env_example):
    import sqlalchemy as sa

    for key in ("DAGSTER_POSTGRES_PASSWORD", "PRESTASHOP_API_KEY", "WEBHOOK_SECRET", "INFOR_IONAPI_CS"):
        assert env_example[key] in ("", "change-me"), key
    url = sa.engine.make_url(env_example["PRESTASHOP_INFOR_DATABASE_URL"])
    assert url.drivername == "postgresql+psycopg2"
    assert url.username == env_example["DAGSTER_POSTGRES_USER"]
    assert url.password == env_example["DAGSTER_POSTGRES_PASSWORD"]
    assert url.host == env_example["DAGSTER_POSTGRES_HOST"] == "postgres"
    assert str(url.port) == env_example["DAGSTER_POSTGRES_PORT"]
    assert url.database == env_example["DAGSTER_POSTGRES_DB"]
    assert env_example["PRESTASHOP_INFOR_DATABASE_SCHEMA"], "the store's tables apart from Dagster's"


# -- issue 17: who gets which variable, and which ones may be left out -------------------------------


class ComposeError(Exception):
    """What ``docker compose`` stops with: a required variable (``${NAME:?message}``) is not set."""


# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}, and $$ (a literal $)
_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _interpolate(text: str, env: dict[str, str]) -> str:
    """``text`` as compose interpolates it from ``env`` (docker/.env): an empty variable counts as
    unset for the ``:`` forms, and a required one that is missing stops compose with its message."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        value = env.get(name)
        if operator is None:
            return value or ""
        missing = not value if operator.startswith(":") else value is None
        if not missing:
            return value or ""
        if operator.endswith("-"):
            return _interpolate(argument, env)
        raise ComposeError(f"required variable {name} is missing a value: {argument}")

    return _REFERENCE.sub(one, text)


def _resolve(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _resolve(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value, env) for value in node]
    return _interpolate(node, env) if isinstance(node, str) else node


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "environment as a mapping, one variable a line"
    return environment


def test_every_variable_reference_has_a_default_or_says_what_is_missing():
    """No bare ``${NAME}`` (compose would hand an empty value with only a warning) and no ``$NAME``
    without braces: each reference says what stands in, or what to set."""
    text = (DOCKER / "docker-compose.yml").read_text(encoding="utf-8")
    references = _REFERENCE.findall(text)
    assert references
    for name, operator, argument in references:
        if name:
            assert operator in (":-", ":?"), f"${{{name}}} has no default and no message"
            if operator == ":?":
                assert name in argument and "docker/.env" in argument, (name, argument)
    assert not re.search(r"(?<!\$)\$[A-Za-z_]", text.replace("$$", "")), "a $NAME without braces"
    required = {name for name, operator, _ in references if operator == ":?"}
    assert required == set(REQUIRED)


def test_each_service_gets_only_the_variables_it_reads(services, instance_yaml):
    """The receiver: its secret, the store and the shop's URL; the webserver: the instance only; the
    code server, the daemon and the runs: what a run reads. Nothing gets docker/.env whole."""
    env = {name: set(_environment(service)) for name, service in services.items()}
    forwarded = set(instance_yaml["run_launcher"]["config"]["env_vars"])
    assert env["webserver"] == set(POSTGRES_ENV)
    assert env["migrate"] == STORE
    assert env["webhook_receiver"] == STORE | {"WEBHOOK_SECRET", "PS_WEBHOOKS_TOKEN", "PRESTASHOP_URL",
                                               "PRESTASHOP_ALLOW_HTTP"}  # fmt: skip
    assert env["sandbox"] == {"WEBHOOK_SECRET"}
    assert env["daemon"] == forwarded  # it holds them only to hand them to each run
    assert env["user_code"] == forwarded | {
        "PRESTASHOP_INFOR_SCHEDULES",
        "PRESTASHOP_INFOR_SENSORS",
        "DAGSTER_CURRENT_IMAGE",
    }
    credentials = SHOP_CREDENTIALS | _ionapi_variables()
    for name in ("webserver", "webhook_receiver", "migrate", "sandbox", "postgres"):
        assert not credentials & env[name], f"{name} gets {credentials & env[name]}"
    assert {name for name, names in env.items() if "WEBHOOK_SECRET" in names} == {
        "webhook_receiver",
        "sandbox",
    }
    assert {name for name, names in env.items() if STORE & names} == {
        "migrate",
        "user_code",
        "daemon",
        "webhook_receiver",
    }


@pytest.mark.parametrize("dotenv", ["only the required variables", "docker/.env.example"])
def test_optional_variables_may_be_left_out_of_dotenv(
    compose, instance_yaml, env_example, monkeypatch, dotenv
):
    """With a docker/.env holding only the required variables (or the example), compose resolves
    every service, the daemon holds every variable the run launcher forwards by name (each passes
    Dagster's ``parse_env_var``, which dagster_docker calls at every launch and which raises on an
    unset variable), and the settings a run reads from those values, empty ones included, are valid."""
    from dagster._core.utils import parse_env_var

    resolved = _resolve(compose, dict(REQUIRED) if dotenv.startswith("only") else env_example)
    daemon = {key: str(value) for key, value in _environment(resolved["services"]["daemon"]).items()}
    for name in (*_settings_variables(), *_ionapi_variables(), *POSTGRES_ENV, "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    for key, value in daemon.items():
        monkeypatch.setenv(key, value)
    run_environment = dict(
        parse_env_var(name) for name in instance_yaml["run_launcher"]["config"]["env_vars"]
    )
    assert run_environment == {name: daemon[name] for name in run_environment}
    assert run_environment["DAGSTER_POSTGRES_HOST"] == "postgres"
    assert run_environment["DAGSTER_POSTGRES_PORT"] == "5432"
    settings = Settings.read()  # the run's settings: an empty value is the default
    assert settings.database_url == REQUIRED["PRESTASHOP_INFOR_DATABASE_URL"] or dotenv.endswith("example")
    assert settings.max_failure_share == 0.05
    # the failure this guards against: a bare name the daemon does not hold fails every launch
    with pytest.raises(Exception, match="not set"):
        parse_env_var("PRESTASHOP_INFOR_NOT_IN_THE_DAEMON")


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_compose_names_a_missing_required_variable(compose, name):
    with pytest.raises(ComposeError, match=name):
        _resolve(compose, {key: value for key, value in REQUIRED.items() if key != name})
    with pytest.raises(ComposeError, match=name):  # an empty line is as good as none
        _resolve(compose, {**REQUIRED, name: ""})


def test_run_containers_are_removed_when_they_end(instance_yaml):
    """``auto_remove`` (docker-py's ``containers.create``): the container goes when its run ends. Run
    monitoring still fails a run whose container vanished before the run ended (DockerRunLauncher
    reports a container it cannot find as NOT_FOUND), and the webserver's "Terminate" stops it."""
    container_kwargs = instance_yaml["run_launcher"]["config"]["container_kwargs"]
    assert container_kwargs["auto_remove"] is True
    assert instance_yaml["run_monitoring"]["enabled"] is True


def test_step_logs_are_written_to_a_volume_the_webserver_reads(instance_yaml, compose, services):
    """Each run container writes its steps' output (and the code server its sensor and schedule logs)
    through Dagster's LocalComputeLogManager into one named volume, which the webserver mounts at the
    same path: the UI shows a step's logs after its container is gone."""
    from dagster._config import process_config
    from dagster._serdes import class_from_code_pointer

    logs = instance_yaml["compute_logs"]
    manager = class_from_code_pointer(logs["module"], logs["class"])
    assert manager.__name__ == "LocalComputeLogManager"
    processed = process_config(manager.config_type(), logs["config"])
    assert processed.success, processed.errors
    assert processed.value["base_dir"] == COMPUTE_LOGS
    volume = compose["volumes"]["compute_logs"]["name"]
    for name in ("webserver", "daemon", "user_code"):
        assert f"compute_logs:{COMPUTE_LOGS}" in services[name]["volumes"], name
    mounts = instance_yaml["run_launcher"]["config"]["container_kwargs"]["volumes"]
    assert mounts[volume] == {"bind": COMPUTE_LOGS, "mode": "rw"}
    # the image creates the mount point, owned by its user, so a new named volume is writable by it
    runs = [rest for keyword, rest in _dockerfile() if keyword == "RUN" and "mkdir" in rest]
    assert any(COMPUTE_LOGS in rest and "chown -R dagster:dagster /opt/dagster" in rest for rest in runs)


# -- docker/dagster.yaml -----------------------------------------------------------------------------


def test_instance_validates_under_dagsters_schema_with_postgres_from_the_environment(monkeypatch):
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config, storage_config_schema
    from dagster_postgres.utils import pg_url_from_config

    for key, value in POSTGRES_ENV.items():
        monkeypatch.setenv(key, value)
    config, custom_instance_class = dagster_instance_config(str(DOCKER), config_filename="dagster.yaml")
    assert custom_instance_class is None
    storage = process_config(storage_config_schema().config_type, config["storage"])
    assert storage.success, storage.errors
    url = pg_url_from_config(storage.value["postgres"])
    assert url == "postgresql+psycopg2://dagster_user:not-a-secret@postgres:5433/dagster_db"
    assert config["telemetry"] == {"enabled": False}
    assert config["run_retries"]["enabled"] is False
    # a run whose container died is failed, never resumed behind the operator's back
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_monitoring"]["max_resume_run_attempts"] == 0


def test_instance_queues_runs_with_pools_of_one_and_the_root_latency_settings(instance_yaml):
    from dagster._config import process_config
    from dagster._core.instance.config import ConcurrencyConfig
    from dagster._serdes import class_from_code_pointer

    coordinator = instance_yaml["run_coordinator"]
    cls = class_from_code_pointer(coordinator["module"], coordinator["class"])
    assert issubclass(cls, dg.QueuedRunCoordinator)
    processed = process_config(cls.config_type(), coordinator["config"])
    assert processed.success, processed.errors
    run_queue = cls(**processed.value).get_run_queue_config()
    concurrency = ConcurrencyConfig.from_concurrency_settings(instance_yaml["concurrency"], run_queue)
    assert (
        concurrency.pool_config.default_pool_limit == 1
    )  # every pool (infor_erp, the shop's two): one step at a time
    assert concurrency.run_queue_config is not None
    root = yaml.safe_load((ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    assert (
        concurrency.run_queue_config.max_concurrent_runs == root["concurrency"]["runs"]["max_concurrent_runs"]
    )
    assert coordinator == root["run_coordinator"]  # dequeue twice a second, in threads
    for key in ("concurrency", "telemetry", "run_retries", "sensors", "schedules", "backfills", "retention"):
        assert instance_yaml[key] == root[key], key


def test_instance_launches_runs_with_the_docker_run_launcher(instance_yaml, compose):
    launcher = instance_yaml["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    config = launcher["config"]
    assert set(config) <= DOCKER_RUN_LAUNCHER_KEYS, set(config) - DOCKER_RUN_LAUNCHER_KEYS
    # DockerRunLauncher's own rules (dagster_docker.utils.validate_docker_config)
    assert not ("network" in config and "networks" in config)
    assert not {"image", "environment", "network"} & set(config.get("container_kwargs", {}))
    # runs join the compose network and mount the config volume, both under their fixed names
    assert config["network"] == compose["networks"]["prestashop_infor"]["name"]
    assert config["container_kwargs"]["volumes"] == {
        compose["volumes"]["config"]["name"]: {"bind": "/opt/dagster/config", "mode": "ro"},
        compose["volumes"]["compute_logs"]["name"]: {"bind": COMPUTE_LOGS, "mode": "rw"},
    }
    # a run reads the instance, the shop, M3, the store, the mapping and the alert target
    needed = (_settings_variables() - NOT_FOR_RUNS) | _ionapi_variables() | set(POSTGRES_ENV)
    assert needed <= set(config["env_vars"]), needed - set(config["env_vars"])
    assert not NOT_FOR_RUNS & set(config["env_vars"])


# -- the Dockerfile and the workspace --------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(rest.split())))
    return instructions


def test_dockerfile_installs_the_project_without_extras_and_runs_as_a_non_root_user(pyproject):
    instructions = _dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = [(i, rest) for i, (keyword, rest) in enumerate(instructions) if keyword == "RUN"]
    installs = [(i, rest) for i, rest in runs if "pip install" in rest]
    assert len(installs) == 1
    install_at, install = installs[0]
    # the image's lock, checked against its hashes, then the project alone (`.`: no [dev] or other extras)
    assert "pip install --require-hashes -r requirements/docker.lock" in install, install
    assert re.search(r"pip install --no-deps \.(\s|$)", install), install
    # dagster-docker (the run launcher the instance names, pyproject's `docker` extra, which the lock
    # holds: test_install.py) at the Dagster family's integration pin
    family = next(d for d in pyproject["project"]["dependencies"] if d.startswith("dagster-postgres=="))
    assert [f"dagster-docker=={family.split('==')[1]}"] == pyproject["project"]["optional-dependencies"][
        "docker"
    ]
    users = [(i, rest) for i, (keyword, rest) in enumerate(instructions) if keyword == "USER"]
    assert users, "no USER: the image would run as root"
    user_at, user = users[-1]
    assert user not in ("root", "0") and user_at > install_at
    assert ("EXPOSE", "4000") in instructions
    copies = [rest for keyword, rest in instructions if keyword == "COPY"]
    assert any(c.endswith("docker/dagster.yaml /opt/dagster/dagster_home/dagster.yaml") for c in copies)
    assert any(c.endswith("docker/workspace.yaml /opt/dagster/workspace.yaml") for c in copies)
    assert ("ENV", "DAGSTER_HOME=/opt/dagster/dagster_home") in instructions


def test_workspace_points_at_the_code_server_the_compose_file_runs(services, pyproject):
    (location,) = _yaml("workspace.yaml")["load_from"]
    server = location["grpc_server"]
    assert server["host"] == "user_code" and server["host"] in services
    assert str(server["port"]) == _flag(services["user_code"]["command"], "-p")
    assert server["location_name"] == pyproject["tool"]["dagster"]["code_location_name"]


# -- the operators' page -------------------------------------------------------------------------------


def test_the_production_page_matches_the_compose_file(services):
    """docs/production.md names every service, the required variables (and only those), and its
    commands use the compose file that exists."""
    page = (ROOT / "docs" / "production.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `([a-z_]+)` \|", page, flags=re.M))
    assert set(services) <= table
    required = page[page.index("Only `DAGSTER_POSTGRES_USER`") :].split("are required", 1)[0]
    assert set(re.findall(r"`([A-Z_]+)`", required)) == set(REQUIRED)
    header = (DOCKER / ".env.example").read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert all(name.split("DAGSTER_POSTGRES")[-1] in header for name in REQUIRED)
    commands = re.findall(r"docker compose (-f \S+)", page)
    assert commands and set(commands) == {"-f docker/docker-compose.yml"}
    assert (ROOT / "docker" / "docker-compose.yml").is_file() and (ROOT / "docker/k8s/README.md").is_file()
