#!/usr/bin/env bash
# Copies the README's screenshots from the last browser test run (build/screenshots, made by
# `make test`) to docs/screenshots. Look at them before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
from=${1:-build/screenshots}
mkdir -p docs/screenshots
# test screenshot -> README name
while read -r source target; do
  cp "$from/$source.png" "docs/screenshots/$target.png"
  echo "docs/screenshots/$target.png <- $from/$source.png"
done <<'LIST'
widget-chat-1280 widget-1280
widget-chat-360 widget-360
agent-chat-1280 agent-1280
agent-chat-360 agent-360
admin-1280 admin-1280
admin-360 admin-360
agent-long-chat-1280 agent-long-chat-1280
agent-customer-panel-360 agent-customer-360
agent-transferred-360 agent-notes-360
widget-agent-header-360 widget-agent-360
agent-history-1280 agent-history-1280
admin-history-1280 admin-history-1280
admin-live-room-360 admin-live-room-360
widget-attachment-360 widget-attachment-360
agent-attachment-1280 agent-attachment-1280
widget-closed-360 widget-closed-360
LIST
