#!/usr/bin/env bash
# Builds dondoc and shows what it does today on the embedded store (a SQLite file):
# the 2026 work calendar, time expressions read as deadlines, then a small sample plan
# (config/sample-plan.csv) imported, worked on and classified, with its audit trail.
# Data goes to a fresh temporary directory (or $DONDOC_DATA_DIR if set).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p dondoc
export DONDOC_DATA_DIR="${DONDOC_DATA_DIR:-$(mktemp -d /tmp/dondoc-demo.XXXXXX)}"
export DONDOC_ACTOR="${DONDOC_ACTOR:-Tổ giúp việc (demo)}"
dondoc() { ./target/release/dondoc "$@"; }
say() { printf '\n== %s ==\n' "$*"; }

say "Ngày nghỉ năm 2026"
dondoc holidays 2026
for expr in "Tháng 4/2026" "Trước ngày 15/12/2025" "Thường xuyên"; do
  say "dondoc when \"$expr\""
  dondoc when "$expr"
done
say "Các kỳ báo cáo năm 2026 của \"Quý, 6 tháng, 9 tháng, năm\""
dondoc when "Quý, 6 tháng, 9 tháng, năm" --from 2026-01-01 --to 2026-12-31

say "Khởi tạo dữ liệu ở $DONDOC_DATA_DIR và nhập kế hoạch mẫu"
dondoc init
dondoc import config/sample-plan.csv --plan MAU-2026 --tracked-from 2026-01-01
dondoc task start --plan MAU-2026 --code 01 --note "Đã giao chuyên viên"
dondoc task progress --plan MAU-2026 --code 01 --percent 60 --note "Đã rà soát 60% chỉ tiêu"
dondoc task extend --plan MAU-2026 --code 01 --to "Quý III/2026" --reason "Chờ hướng dẫn của Trung ương"
dondoc task submit --plan MAU-2026 --code 02 --period "Quý I/2026" --document "45/BC-TK" --sent-at 2026-03-24T10:00:00+07:00
dondoc task complete --plan MAU-2026 --code 08 --on 2026-04-28 --document "112/BC-UBND"

say "Bảng theo dõi"
dondoc list --plan MAU-2026
say "Nhiệm vụ quá hạn"
dondoc list --overdue
say "Chi tiết nhiệm vụ 02 (định kỳ)"
dondoc show --plan MAU-2026 --code 02
say "Nhật ký nhiệm vụ 01"
dondoc audit --plan MAU-2026 --code 01
say "Kiểm tra toàn vẹn"
dondoc audit verify
