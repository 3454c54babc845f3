#!/usr/bin/env bash
# Builds dondoc and shows what it does on the embedded store (a SQLite file): the 2026
# work calendar, time expressions read as deadlines, a small sample plan
# (config/sample-plan.csv) imported, worked on and classified with its audit trail, then
# the reminder daemon: contacts, the reminders a sweep would send, a month of the real
# scheduler on a virtual clock (messages written to an outbox), and the weekly summary.
# Data goes to a fresh temporary directory (or $DONDOC_DATA_DIR if set). The demo runs
# as of 23/11/2026 08:00 (override with DONDOC_NOW).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p dondoc
export DONDOC_DATA_DIR="${DONDOC_DATA_DIR:-$(mktemp -d /tmp/dondoc-demo.XXXXXX)}"
export DONDOC_ACTOR="${DONDOC_ACTOR:-Tổ giúp việc (demo)}"
export DONDOC_NOW="${DONDOC_NOW:-2026-11-23T08:00:00+07:00}"
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
dondoc import config/sample-plan.csv --plan MAU-2026 --tracked-from 2026-01-01 \
  --plan-number 818/KH-UBND --plan-date 16/04/2026 --plan-issuer "UBND tỉnh" \
  --plan-title "Triển khai công tác thống kê năm 2026 (kế hoạch mẫu)"
say "Kế hoạch được trích dẫn trong nhắc việc như văn bản"
dondoc plan show --plan MAU-2026
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
say "Mốc đối chiếu (dấu niêm phong mới nhất, để lưu ngoài máy chủ)"
dondoc audit anchor

say "Danh bạ người nhận nhắc việc"
dondoc contact add --name "Nguyễn Văn An" --agency "Thống kê tỉnh" --email an@thongke.example.vn --telegram 1001
dondoc contact add --name "Lê Thị Bích" --agency "Sở Tài chính" --zalo 2468458835296197922 --phone 0905123456
dondoc contact add --name "Trần Minh Cường" --agency "Thống kê tỉnh" --role head --position "Chánh Văn phòng Thống kê tỉnh" --email cuong@thongke.example.vn
dondoc contact add --name "Phạm Thu Dung" --agency "Văn phòng UBND tỉnh" --role secretariat --email dung@vp.example.vn
dondoc contact add --name "Hồ Quang Em" --agency "UBND tỉnh" --role leadership --position "Phó Chủ tịch UBND tỉnh" --email em@ubnd.example.vn
dondoc contact list
dondoc contact link-code --name "Nguyễn Văn An"
dondoc silence add --agency "Sở Nội vụ" --until 2026-12-31 --reason "Sắp xếp lại tổ chức bộ máy"
dondoc silence list

say "Lượt quét lúc 09:00 ngày 25/11/2026 sẽ gửi gì (chỉ xem, không gửi)"
dondoc reminders due --at 2026-11-25T09:00:00+07:00

OUTBOX="$DONDOC_DATA_DIR/outbox"
say "Chạy bộ lập lịch thật trên đồng hồ ảo, 23/11 – 31/12/2026 (tin gửi được ghi vào $OUTBOX)"
dondoc simulate --from 2026-11-23T08:00:00+07:00 --to 2026-12-31T23:59:00+07:00 --outbox "$OUTBOX"
say "Các tin đã gửi (thời điểm, kênh, người nhận, tiêu đề)"
for f in "$OUTBOX"/*.json; do
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["sent_at"], m["channel"], m["recipient"], m["subject"])' "$f" 2>/dev/null \
    || basename "$f"
done
say "Nội dung tin đầu tiên"
first=$(ls "$OUTBOX"/*.json | head -1)
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"])' "$first" 2>/dev/null || cat "$first"
say "Chạy lại cùng khoảng thời gian: không gửi trùng"
dondoc simulate --from 2026-11-23T08:00:00+07:00 --to 2026-12-31T23:59:00+07:00 --outbox "$OUTBOX"
say "Dữ liệu thật không thay đổi (mô phỏng chạy trên bản sao $OUTBOX/simulation.sqlite)"
dondoc reminders log | head -3

say "Báo cáo tuần cho lãnh đạo (07:30 thứ Hai 30/11/2026)"
dondoc summary --at 2026-11-30T07:30:00+07:00 --out "$DONDOC_DATA_DIR/bao-cao-tuan"
echo
echo "Dữ liệu demo: $DONDOC_DATA_DIR (chạy dịch vụ thật: dondoc serve, cấu hình trong dondoc.toml)"
