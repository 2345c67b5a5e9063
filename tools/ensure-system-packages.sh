#!/usr/bin/env bash
# Installs the Debian packages the tests need, once: fonts for the PDF form (WenQuanYi Micro Hei,
# Noto CJK), poppler-utils (pdftoppm), Chromium and Firefox ESR for the browser tests, and for the
# many-hosts harness (tests/cluster) iproute2 (network namespaces), dnsmasq (the DNS server that
# plays a headless Service) and PgBouncer (the connection pooler), and promtool (Debian's prometheus
# package: `promtool check rules` / `test rules` on the alert rules, tests/deploy), and wrk, the HTTP
# load generator of `make bench` (tools/loadtest/README.md). Quick when present.
set -euo pipefail
need=()
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
command -v firefox-esr >/dev/null || need+=(firefox-esr)
command -v ip >/dev/null || need+=(iproute2)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
[ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v wrk >/dev/null || need+=(wrk)
# promtool only: Debian ships it in the prometheus package, installed without its recommended node
# exporter (whose daemon would take port 9100, the gateway's metrics port) and with the Prometheus
# daemon kept stopped where systemd would start it (Compose runs the project's own on 9090).
bare=()
command -v promtool >/dev/null || bare+=(prometheus)
[ ${#need[@]} -eq 0 ] && [ ${#bare[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} ${bare[*]} — install them with: sudo apt-get install -y ${need[*]}" \
       "${bare[*]:+&& sudo apt-get install -y --no-install-recommends ${bare[*]}}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]} ${bare[*]}"
apt-get update -qq
[ ${#need[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
if [ ${#bare[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${bare[@]}" >/dev/null
  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
fi
