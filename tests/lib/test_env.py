from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from playground.lib.env import envbool, envchoice, envint, envlist, envorigins, envstr


def test_booleans_accept_common_spellings_and_refuse_junk(monkeypatch):
    for raw, expected in [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert envbool("FLAG") is expected
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        envbool("FLAG")


def test_empty_values_count_as_unset(monkeypatch):
    for name in ("S", "B", "I", "L", "C"):
        monkeypatch.setenv(name, "")
    assert envstr("S", "dflt") == "dflt"
    assert envbool("B", True) is True
    assert envint("I", 7) == 7
    assert envlist("L", ["a"]) == ["a"]
    assert envchoice("C", ("x", "y"), "y") == "y"


def test_integers_and_choices_are_strict(monkeypatch):
    monkeypatch.setenv("N", "12x")
    with pytest.raises(ImproperlyConfigured):
        envint("N", 1)
    monkeypatch.setenv("MODE", "remote")
    with pytest.raises(ImproperlyConfigured, match="local, fal"):
        envchoice("MODE", ("local", "fal"), "local")
    monkeypatch.setenv("HOSTS", " a.example , b.example ,")
    assert envlist("HOSTS") == ["a.example", "b.example"]


def test_origins_are_scheme_host_and_port_only(monkeypatch):
    monkeypatch.setenv("ORIGINS", "http://127.0.0.1:9000, https://hooks.example")
    assert envorigins("ORIGINS") == ["http://127.0.0.1:9000", "https://hooks.example"]
    for junk in ("127.0.0.1:9000", "http://h/path", "ftp://h", "http://h:99999", "http://u@h"):
        monkeypatch.setenv("ORIGINS", junk)
        with pytest.raises(ImproperlyConfigured, match="ORIGINS"):
            envorigins("ORIGINS")
