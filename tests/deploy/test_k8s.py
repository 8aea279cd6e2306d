"""deploy/k8s checked offline as thoroughly as a cluster's API server would: each overlay builds with
kustomize, every resource validates against the Kubernetes schemas (strictly, unknown fields refused),
the operators' resources against their CRDs, the topics match the AsyncAPI document, and every
Deployment is probed, bounded, unprivileged and covered by a NetworkPolicy."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft7Validator

from spean_contracts.registry import Service
from tests.deploy.tools import ROOT, installed
from tests.support.kafka_acls import Acl, catalogue_acls, console_acls

CRDS = ROOT.parent / "shared" / "k8s-crds"
# The Prometheus Operator's, fetched by `make test` from its Go module.
MONITORING_CRDS = ROOT / ".spean" / "tools" / "crds"
KUBERNETES = "1.33"
OVERLAYS = ("dev", "prod")


@pytest.fixture(scope="module", params=OVERLAYS)
def built(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    overlay = ROOT / "deploy" / "k8s" / "overlays" / request.param
    result = subprocess.run(
        [installed("kustomize"), "build", str(overlay)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return request.param, [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    schemas = {}
    for path in [*CRDS.rglob("*.y*ml"), *MONITORING_CRDS.rglob("*.y*ml")]:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                schemas[(spec["group"], spec["names"]["kind"], version["name"])] = version["schema"]["openAPIV3Schema"]
    return schemas


def _unknown_fields(value: Any, schema: dict[str, Any], path: str) -> Iterator[str]:
    """What a strict API server refuses: fields the structural schema does not declare."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                yield from _unknown_fields(item, properties[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                yield from _unknown_fields(item, extra, f"{path}.{key}")
            elif properties is not None and extra is not True:
                yield f"{path}.{key}"
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _unknown_fields(item, schema["items"], f"{path}[{index}]")


def test_every_resource_validates_against_its_schema(built: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = built
    crds = _crd_schemas()
    assert crds, f"no CRDs found in {CRDS}"
    problems = []
    for resource in resources:
        name = f"{resource['kind']}/{resource['metadata']['name']}"
        group, _, version = resource["apiVersion"].rpartition("/")
        schema = crds.get((group, resource["kind"], version))
        if schema is not None:
            problems += [f"{name}: {e.json_path}: {e.message}" for e in Draft7Validator(schema).iter_errors(resource)]
            # apiVersion, kind and metadata are the API server's own, whatever the CRD's schema lists.
            body = {k: v for k, v in resource.items() if k not in ("apiVersion", "kind", "metadata")}
            problems += [f"{name}: unknown field {field}" for field in _unknown_fields(body, schema, "$")]
        else:
            try:
                kubernetes_validate.validate(resource, KUBERNETES, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{name}: {error.message}")
    assert problems == []


def test_every_custom_resource_has_its_crd(built: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = built
    crds = {(group, kind) for group, kind, _ in _crd_schemas()}
    custom = {
        (r["apiVersion"].rpartition("/")[0], r["kind"]) for r in resources if "." in r["apiVersion"].split("/")[0]
    }
    custom -= {(g, k) for g, k in custom if g.endswith(".k8s.io")}
    assert custom <= crds
    assert {kind for _, kind in custom} >= {
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "Keycloak",
        "KeycloakRealmImport",
        "Cluster",
        "ServiceMonitor",
        "PrometheusRule",
    }


def test_the_kafka_topics_are_exactly_those_of_the_asyncapi_document(built: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, resources = built
    asyncapi = yaml.safe_load((ROOT / "contracts" / "asyncapi.yaml").read_text())
    declared = {channel["address"] for channel in asyncapi["channels"].values()}
    topics = [r for r in resources if r["kind"] == "KafkaTopic"]
    assert {t["spec"]["topicName"] for t in topics} == declared
    retention = {
        channel["address"]: channel["bindings"]["kafka"]["topicConfiguration"]["retention.ms"]
        for channel in asyncapi["channels"].values()
    }
    assert {t["spec"]["topicName"]: t["spec"]["config"]["retention.ms"] for t in topics} == retention
    replicas = {(t["spec"]["replicas"], t["spec"]["config"]["min.insync.replicas"]) for t in topics}
    assert replicas == ({(3, 2)} if overlay == "prod" else {(1, 1)})
    if overlay == "prod":
        pool = next(r for r in resources if r["kind"] == "KafkaNodePool")
        assert pool["spec"]["replicas"] == 3


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_every_deployment_is_probed_bounded_unprivileged_and_fenced(built: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = built
    policies = [r for r in resources if r["kind"] == "NetworkPolicy"]
    assert any(
        p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in policies
    )
    deployments = [r for r in resources if r["kind"] == "Deployment"]
    names = {d["metadata"]["name"] for d in deployments}
    assert names >= {
        "spean-identification",
        "spean-referral",
        "spean-registry",
        "spean-repatriation",
        "spean-operations",
        "spean-otel-collector",
        "spean-zipkin",
    }
    for deployment in deployments:
        pod = deployment["spec"]["template"]
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        for container in pod["spec"]["containers"]:
            assert {"readinessProbe", "livenessProbe", "resources"} <= container.keys()
            assert {"requests", "limits"} <= container["resources"].keys()
            context = container["securityContext"]
            assert (context["allowPrivilegeEscalation"], context["readOnlyRootFilesystem"]) == (False, True)
        labels = pod["metadata"]["labels"]
        assert any(_selects(p["spec"]["podSelector"], labels) for p in policies), deployment["metadata"]["name"]


def test_no_secret_value_is_in_the_manifests(built: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = built
    assert [r for r in resources if r["kind"] == "Secret"] == []
    realm = next(r for r in resources if r["kind"] == "KeycloakRealmImport")["spec"]["realm"]
    assert all(c.get("secret", "${").startswith("${") for c in realm["clients"])


def test_the_collector_runs_the_configuration_make_up_runs(built: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = built
    config = next(r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"] == "spean-otel-collector")
    assert config["data"]["config.yaml"] == (ROOT / "deploy" / "otel" / "collector.yaml").read_text()


def test_production_databases_archive_their_wal_and_are_backed_up_nightly(
    built: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, resources = built
    clusters = {r["metadata"]["name"]: r["spec"] for r in resources if r["kind"] == "Cluster"}
    archiving = {
        name for name, spec in clusters.items() if spec.get("backup", {}).get("barmanObjectStore", {}).get("wal")
    }
    nightly = {r["spec"]["cluster"]["name"] for r in resources if r["kind"] == "ScheduledBackup"}
    if overlay == "prod":
        assert len(clusters) == 6
        assert archiving == nightly == set(clusters)
        assert {spec["backup"]["retentionPolicy"] for spec in clusters.values()} == {"30d"}
    else:
        # Development has no object store: a cluster whose archiving fails keeps every WAL file on its
        # volume until the volume fills.
        assert archiving == nightly == set()


def _routes(resources: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """(host, path) -> (Service, the Ingress's annotations), of every Ingress rule, TLS-covered hosts only."""
    routes = {}
    for ingress in (r for r in resources if r["kind"] == "Ingress"):
        covered = {host for tls in ingress["spec"].get("tls", []) for host in tls["hosts"]}
        annotations = ingress["metadata"].get("annotations", {})
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in covered, f"{ingress['metadata']['name']}: {rule['host']} without TLS"
            for path in rule["http"]["paths"]:
                routes[(rule["host"], path["path"])] = (path["backend"]["service"]["name"], annotations)
    return routes


def test_the_public_addresses_agree_with_each_other(built: tuple[str, list[dict[str, Any]]]) -> None:
    """What a token names as its issuer is what every service trusts; Keycloak, the console, its traces
    and the four APIs are each reachable at the address the others send people to."""
    _, resources = built
    routes = _routes(resources)
    configs = {r["metadata"]["name"]: r["data"] for r in resources if r["kind"] == "ConfigMap"}
    keycloak = urlparse(next(r for r in resources if r["kind"] == "Keycloak")["spec"]["hostname"]["hostname"])
    services = ("identification", "referral", "registry", "repatriation", "operations")
    assert {configs[f"spean-{s}"]["SPEAN_KEYCLOAK_PUBLIC_URL"] for s in services} == {keycloak.geturl()}
    assert keycloak.scheme == "https"
    assert routes[(keycloak.hostname, "/realms/")][0] == "spean-keycloak-service"
    assert not any(host == keycloak.hostname and path.startswith("/admin") for host, path in routes)

    console = urlparse(configs["spean-operations"]["SPEAN_PUBLIC_URL"])
    assert routes[(console.hostname, "/")][0] == "spean-operations"
    realm = next(r for r in resources if r["kind"] == "KeycloakRealmImport")["spec"]["realm"]
    client = next(c for c in realm["clients"] if c["clientId"] == "spean-console")
    assert client["redirectUris"] == [f"{console.geturl()}/auth/callback"]
    traces = urlparse(configs["spean-operations"]["SPEAN_TRACE_UI_URL"])
    service, annotations = routes[(traces.hostname, traces.path)]
    assert service == "spean-zipkin"
    assert traces.hostname == console.hostname  # the console's session cookie goes along
    assert annotations["nginx.ingress.kubernetes.io/auth-url"] == "https://$host/auth/check"

    public = {service for service, _ in routes.values()}
    assert {f"spean-{s}" for s in services} <= public
    limit = 16 * 1024 * 1024  # SPEAN_MAX_BODY_BYTES's default
    for (host, _), (service, annotations) in routes.items():
        if service in {f"spean-{s}" for s in services[:4]}:
            size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
            assert int(size.removesuffix("m")) * 1024 * 1024 > limit, host


def test_only_the_services_reach_kafka(built: tuple[str, list[dict[str, Any]]]) -> None:
    """Strimzi opens a listener to every pod of the cluster unless its peers are named: any pod could
    otherwise publish case events in a service's name."""
    _, resources = built
    configs = {r["metadata"]["name"]: r.get("data", {}) for r in resources if r["kind"] == "ConfigMap"}
    clients = [
        d["spec"]["template"]["metadata"]["labels"]
        for d in resources
        if d["kind"] == "Deployment"
        for container in d["spec"]["template"]["spec"]["containers"]
        if any(
            "SPEAN_KAFKA_BOOTSTRAP" in configs.get(source["configMapRef"]["name"], {})
            for source in container.get("envFrom", [])
            if "configMapRef" in source
        )
    ]
    (kafka,) = [r for r in resources if r["kind"] == "Kafka"]
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    peers = [peer["podSelector"] for peer in listener["networkPolicyPeers"]]
    assert len(clients) == 5
    assert all(any(_selects(peer, labels) for peer in peers) for labels in clients)
    assert all(any(_selects(peer, labels) for labels in clients) for peer in peers), "a peer that is no service"


def test_each_service_s_kafka_user_may_do_what_it_publishes_and_consumes_and_no_more(
    built: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = built
    granted = {
        user["metadata"]["name"]: {
            Acl(acl["resource"]["type"], acl["resource"]["name"], operation, acl["resource"]["patternType"])
            for acl in user["spec"]["authorization"]["acls"]
            for operation in acl["operations"]
        }
        for user in resources
        if user["kind"] == "KafkaUser"
    }
    assert granted == {f"spean-{s.value}": catalogue_acls(s) for s in Service} | {"spean-operations": console_acls()}
    configs = {r["metadata"]["name"]: r.get("data", {}) for r in resources if r["kind"] == "ConfigMap"}
    for deployment in (r for r in resources if r["kind"] == "Deployment"):
        config = configs.get(deployment["metadata"]["name"], {})
        if "SPEAN_KAFKA_BOOTSTRAP" in config:
            assert config["SPEAN_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
            assert config["SPEAN_KAFKA_USERNAME"] in granted
