"""The "restricted" Pod Security Standard as a check of one pod spec, written from the standard
itself (https://kubernetes.io/docs/concepts/security/pod-security-standards/, policies for
Kubernetes v1.30 and later): every Baseline control, then every Restricted control. Pod Security
Admission refuses a pod that breaks any of them in a namespace labelled
``pod-security.kubernetes.io/enforce: restricted`` (overlays/*/namespace.yaml), and for a
workload's pods that refusal shows only as a controller that never gets a pod.

``violations(pod_spec, annotations)`` names each broken control; empty means admitted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# Baseline: sysctls anyone may set (the "safe" set).
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
# Baseline: the capabilities a container may add (the container runtime's default set).
BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                         "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
# Restricted: the only volume types allowed.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(field) or []:
            yield f"{field}[{container.get('name', '?')}]", container


def violations(spec: Mapping[str, Any], annotations: Mapping[str, str] | None = None) -> list[str]:
    found: list[str] = []
    pod_context = spec.get("securityContext") or {}
    containers = list(_containers(spec))

    # --- Baseline ---------------------------------------------------------------------------------
    if (pod_context.get("windowsOptions") or {}).get("hostProcess"):
        found.append("HostProcess: securityContext.windowsOptions.hostProcess")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            found.append(f"host namespaces: {field}")
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            found.append(f"HostPath volumes: {volume.get('name')}")
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume types: {volume.get('name')} is {sorted(kinds - RESTRICTED_VOLUMES)}")
    for key, value in (annotations or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
                value == "runtime/default" or value.startswith("localhost/")):
            found.append(f"AppArmor: annotation {key}={value}")
    for sysctl in pod_context.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append(f"sysctls: {sysctl.get('name')}")
    contexts = [("pod", pod_context), *((where, c.get("securityContext") or {}) for where, c in containers)]
    for where, context in contexts:
        apparmor = (context.get("appArmorProfile") or {}).get("type")
        if apparmor not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"AppArmor: {where} appArmorProfile {apparmor}")
        selinux = context.get("seLinuxOptions") or {}
        if selinux.get("type", "") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            found.append(f"SELinux: {where} seLinuxOptions {selinux}")
        seccomp = (context.get("seccompProfile") or {}).get("type")
        if seccomp == "Unconfined":
            found.append(f"seccomp: {where} is Unconfined")
        if context.get("runAsUser") == 0:
            found.append(f"running as non-root user: {where} runAsUser 0")
    for where, container in containers:
        context = container.get("securityContext") or {}
        if (context.get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"HostProcess: {where}")
        if context.get("privileged"):
            found.append(f"privileged containers: {where}")
        if context.get("procMount") not in (None, "Default"):
            found.append(f"/proc mount type: {where} {context['procMount']}")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"host ports: {where} {port['hostPort']}")
        added = set((context.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            found.append(f"capabilities (baseline): {where} adds {sorted(added - BASELINE_CAPABILITIES)}")

        # --- Restricted -------------------------------------------------------------------------------
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"privilege escalation: {where} lacks allowPrivilegeEscalation: false")
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"capabilities: {where} does not drop ALL")
        if added - {"NET_BIND_SERVICE"}:
            found.append(f"capabilities: {where} adds {sorted(added - {'NET_BIND_SERVICE'})}")
        non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
        if non_root is not True:
            found.append(f"running as non-root: {where} (runAsNonRoot true on the pod or the container)")
        seccomp = (context.get("seccompProfile") or pod_context.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"seccomp: {where} has no RuntimeDefault or Localhost profile")
    return found
