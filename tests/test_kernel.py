"""The kernel set-up helper: seeds, threads, device choice, banner, and a missing framework."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sidebyside import devices, kernel


@pytest.fixture(scope="module")
def env():
    return kernel.setup(seed=7, quiet=True)


def test_cpu_only_machine_chooses_the_cpu_in_both_frameworks(env):
    if devices.torch_gpu_kind():
        pytest.skip("this machine has a GPU; the CPU path is what this test pins down")
    assert env.device_kind == "cpu" and not env.has_gpu
    assert str(env.torch_device) == "cpu"
    assert env.tf_device == "/CPU:0"
    assert "CPU (no GPU found)" in env.banner()


def test_gpu_choice_maps_to_tf_cpu_when_tensorflow_sees_no_gpu():
    # torch may see a CUDA GPU while the CPU-only TensorFlow wheel does not: TF must fall back, not fail
    import tensorflow as tf

    expected = "/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"
    assert devices.tf_device("cuda") == expected
    assert devices.tf_device("mps") == "/CPU:0"


def test_reseed_makes_both_frameworks_repeat(env):
    import tensorflow as tf
    import torch

    env.reseed()
    first = (torch.rand(3).numpy(), tf.random.uniform([3]).numpy(), np.random.rand(3))
    env.reseed()
    second = (torch.rand(3).numpy(), tf.random.uniform([3]).numpy(), np.random.rand(3))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    env.reseed(seed=8)
    assert not np.array_equal(torch.rand(3).numpy(), first[0])


def test_threads_sized_to_the_machine(env):
    import torch

    assert env.threads == kernel.thread_count() >= 1
    assert torch.get_num_threads() == env.threads


def test_banner_has_versions_device_and_seed_on_short_lines(env):
    # The banner used to be one 190-character line that a 1280 px projector wrapped mid-word
    # (issue 11): it now breaks between fields, and every line fits BANNER_WIDTH.
    banner = env.banner()
    for part in ("torch 2.13.0", "tensorflow 2.21.0", "seed 7", f"threads {env.threads}",
                 f"torch.compile backend: {env.compile_backend}"):
        assert part in banner
    assert all(len(line) <= kernel.BANNER_WIDTH for line in banner.splitlines())


@pytest.mark.parametrize("kind", ["cpu", "cuda", "mps"])
def test_banner_lines_fit_for_every_device_and_never_split_a_field(env, kind):
    import dataclasses

    wide = dataclasses.replace(env, device_kind=kind, torch_device=f"{kind}:0", seed=123456,
                               threads=128, compile_backend="aot_eager",
                               versions={**env.versions, "keras": "3.15.10"})
    lines = wide.banner().splitlines()
    assert len(lines) == 3
    assert all(len(line) <= kernel.BANNER_WIDTH for line in lines), lines
    # Line breaks fall between fields: each line starts with a field name, none ends in a separator.
    assert [line.split()[0] for line in lines] == ["sidebyside", "device:", "torch.compile"]
    assert not any(line.rstrip().endswith("|") for line in lines)


def test_tensorflow_logging_is_quiet_after_setup(env):
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


def test_compile_backend_override_and_compiler_probe(monkeypatch):
    monkeypatch.setenv(devices.COMPILE_BACKEND_ENV, "eager")
    assert devices.compile_backend() == "eager"
    monkeypatch.delenv(devices.COMPILE_BACKEND_ENV)
    ok, why = devices.cxx_compiler_works()
    assert devices.compile_backend() == ("inductor" if ok else "aot_eager")


def test_broken_compiler_falls_back_to_aot_eager(monkeypatch):
    monkeypatch.setenv("CXX", "/nonexistent/g++")
    monkeypatch.delenv(devices.COMPILE_BACKEND_ENV, raising=False)
    devices.cxx_compiler_works.cache_clear()
    try:
        ok, why = devices.cxx_compiler_works()
        assert not ok and "failed a test build" in why
        assert devices.compile_backend() == "aot_eager"
    finally:
        devices.cxx_compiler_works.cache_clear()


def run_with_broken(module: str, code: str, tmp_path) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter where importing `module` fails, as on a broken install."""
    shim = tmp_path / module
    shim.mkdir()
    (shim / "__init__.py").write_text(f"raise ImportError('simulated: {module} is not installed')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module", ["tensorflow", "torch"])
def test_missing_framework_gives_a_clear_error(module, tmp_path):
    result = run_with_broken(module, """
        from sidebyside import setup
        from sidebyside.kernel import MissingFrameworkError
        try:
            setup()
        except MissingFrameworkError as err:
            print("CLEAR:", err)
    """, tmp_path)
    assert f"CLEAR: {module} is not importable" in result.stdout, result.stderr
    assert "make lab" in result.stdout
