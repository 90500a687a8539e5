"""Configuration: defaults, the file, ACORN_ overrides, secrets, and errors with file:line: key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.config import ConfigError, env_overrides, load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(exc: ConfigError) -> tuple[str, int | None, str, str]:
    assert len(exc.problems) == 1, exc.problems
    p = exc.problems[0]
    return p.file, p.line, p.key, p.message


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.yaml", env={})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'acorn.sqlite3'}"
    assert settings.archive_dir == tmp_path / "archive"
    assert settings.console.secret is None


def test_no_path_gives_defaults_relative_to_cwd() -> None:
    settings = load_settings(None, env={})
    assert settings.partners_dir == Path.cwd() / "partners"


def test_example_file_is_valid(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE, env={})
    assert settings.scheduler.poll_interval_seconds > 0
    assert settings.partners_dir == EXAMPLE.parent / "partners"


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "database_url: postgresql+psycopg://u@h/db\narchive_dir: /srv/archive\nmappings_dir: maps\n"
        "scheduler:\n  poll_interval_seconds: 7\n",
    )
    settings = load_settings(path, env={})
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.archive_dir == Path("/srv/archive")
    assert settings.mappings_dir == tmp_path / "maps"
    assert load_settings(write(tmp_path, "database_url: sqlite:///db/x.db\n"), env={}).database_url == (
        f"sqlite:///{tmp_path.resolve() / 'db' / 'x.db'}"
    )
    assert (
        load_settings(write(tmp_path, "database_url: sqlite:////abs.db\n"), env={}).database_url
        == "sqlite:////abs.db"
    )
    assert settings.scheduler.poll_interval_seconds == 7


@pytest.mark.parametrize(
    ("var", "value", "read"),
    [
        ("ACORN_DATABASE_URL", "postgresql+psycopg://x@y/z", lambda s: s.database_url),
        ("ACORN_SCHEDULER__POLL_INTERVAL_SECONDS", "3.5", lambda s: s.scheduler.poll_interval_seconds),
        ("ACORN_CONSOLE__PORT", "9999", lambda s: s.console.port),
        ("ACORN_ARCHIVE_RETENTION_DAYS", "400", lambda s: s.archive_retention_days),
        ("ACORN_LOGGING__LEVEL", "DEBUG", lambda s: s.logging.level),
    ],
)
def test_env_overrides_file(tmp_path: Path, var: str, value: str, read) -> None:
    path = write(tmp_path, "scheduler:\n  poll_interval_seconds: 7\nconsole:\n  port: 8000\n")
    settings = load_settings(path, env={var: value})
    assert str(read(settings)) == value


def test_env_list_setting_and_unrelated_variables() -> None:
    overrides, origin = env_overrides(
        {
            "ACORN_ALERTS__EMAIL__TO": "a@x.org, b@x.org",
            "ACORN_CONFIG": "c.yaml",
            "ACORN_NOPE__X": "1",
            "HOME": "/",
        }
    )
    assert overrides == {"alerts": {"email": {"to": ["a@x.org", "b@x.org"]}}}
    assert origin == {"alerts.email.to": "ACORN_ALERTS__EMAIL__TO"}


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, env={"ACORN_CONSOLE__PORT": "http"})
    file, line, key, _ = only_problem(info.value)
    assert (file, line, key) == ("environment", None, "ACORN_CONSOLE__PORT")


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        (
            "database_url: x\nscheduler:\n  poll_interval_seconds: soon\n",
            3,
            "scheduler.poll_interval_seconds",
            "number",
        ),
        ("archive_dir: a\nconsole:\n  host: h\n  prot: 80\n", 4, "console.prot", "unknown setting"),
        ("logging:\n  level: LOUD\n", 2, "logging.level", "DEBUG"),
        ("console:\n  port: 70000\n", 2, "console.port", "65535"),
        ("alerts:\n  email:\n    sender: a@b\n", 2, "alerts.email.to", "required"),
        ("archive_retention_days: 0\n", 1, "archive_retention_days", "greater"),
    ],
)
def test_each_error_has_file_line_key(tmp_path: Path, text: str, line: int, key: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    file, got_line, got_key, message = only_problem(info.value)
    assert (file, got_line, got_key) == (str(path), line, key)
    assert words in message
    assert str(info.value).startswith(f"{path}:{line}: {key}: ")


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "console:\n  port: no\nlogging:\n  format: xml\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert [(p.line, p.key) for p in info.value.problems] == [(2, "console.port"), (4, "logging.format")]


def test_bad_yaml_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "console:\n  port: 80\n   host: [\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert info.value.problems[0].file == str(path)
    assert info.value.problems[0].line in (2, 3, 4)
    assert "YAML" in info.value.problems[0].message


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_settings(path, env={})


def test_inline_secret_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "console:\n  host: h\n  secret: hunter2\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    _, line, key, message = only_problem(info.value)
    assert (line, key) == (3, "console.secret")
    assert "ACORN_CONSOLE_SECRET" in message
    assert "hunter2" not in str(info.value)


SECRET = "correct-horse-battery-staple"


def test_secret_from_env_never_in_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(None, env={"ACORN_CONSOLE_SECRET": SECRET})
    assert settings.console.secret is not None
    assert settings.console.secret.get_secret_value() == SECRET
    caplog.set_level(logging.DEBUG)
    logging.getLogger("acorn.test").info("settings %s %r", settings, settings.console)
    for text in (
        repr(settings),
        str(settings),
        str(settings.describe()),
        settings.model_dump_json(),
        caplog.text,
    ):
        assert SECRET not in text
    assert settings.describe()["console"]["secret"] == "(set)"


def test_secret_from_file(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    path = write(tmp_path, "console:\n  secret_file: secret.txt\n")
    settings = load_settings(path, env={})
    assert settings.console.secret is not None
    assert settings.console.secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings)


def test_env_secret_wins_over_file(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("from-file", encoding="utf-8")
    path = write(tmp_path, "console:\n  secret_file: secret.txt\n")
    settings = load_settings(path, env={"ACORN_CONSOLE_SECRET": "from-env"})
    assert settings.console.secret is not None
    assert settings.console.secret.get_secret_value() == "from-env"


def test_unreadable_secret_file(tmp_path: Path) -> None:
    path = write(tmp_path, "console:\n  secret_file: nowhere.txt\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert info.value.problems[0].key == "console.secret_file"
