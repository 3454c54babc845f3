#!/usr/bin/env bash
# Builds dondoc and shows what it does today: the 2026 work calendar and how plan time
# expressions become deadlines and reporting occurrences.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p dondoc
dondoc() { ./target/release/dondoc "$@"; }

echo "== Ngày nghỉ năm 2026 =="
dondoc holidays 2026
for expr in "Tháng 4/2026" "Quý IV/2025" "Trước ngày 15/12/2025" "2022 - 2030" "Thường xuyên"; do
  echo; echo "== dondoc when \"$expr\" =="
  dondoc when "$expr"
done
echo; echo "== Các kỳ báo cáo năm 2026 của \"Quý, 6 tháng, 9 tháng, năm\" =="
dondoc when "Quý, 6 tháng, 9 tháng, năm" --from 2026-01-01 --to 2026-12-31
echo; echo "== JSON cho script =="
dondoc when "Hàng tháng (căn cứ hướng dẫn của Cục Thống kê)" --from 2026-01-01 --to 2026-03-31 --json
