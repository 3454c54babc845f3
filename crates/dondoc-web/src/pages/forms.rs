//! The forms a task page offers, one per action the signed-in account may take, and how
//! a submitted form becomes the same JSON body the API reads (`dondoc_app::requests`).

use std::collections::HashMap;

use dondoc_core::task::CommandKind;
use serde_json::{Map, Value};

/// One input of a form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// The input's type: text, number, date.
    pub kind: &'static str,
    pub required: bool,
}

/// The form of one action.
pub struct ActionForm {
    pub action: &'static str,
    pub kind: CommandKind,
    pub label: &'static str,
    pub button: &'static str,
    pub fields: Vec<Field>,
}

impl ActionForm {
    /// Whether the form sends a file (and so is posted as multipart/form-data).
    pub fn multipart(&self) -> bool {
        self.fields.iter().any(|f| f.kind == "file")
    }
}

const fn field(name: &'static str, label: &'static str, kind: &'static str, required: bool) -> Field {
    Field { name, label, kind, required }
}

/// Every action's form, in the order a page shows them.
pub fn all() -> Vec<ActionForm> {
    let form = |action, kind, label, button, fields| ActionForm { action, kind, label, button, fields };
    vec![
        form(
            "start",
            CommandKind::Start,
            "Bắt đầu thực hiện",
            "Bắt đầu",
            vec![field("note", "Ghi chú", "text", false)],
        ),
        form(
            "progress",
            CommandKind::ReportProgress,
            "Báo cáo tiến độ",
            "Gửi báo cáo tiến độ",
            vec![
                field("percent", "Tỷ lệ hoàn thành (%)", "number", false),
                field("note", "Nội dung", "text", true),
                field("occurrence", "Kỳ (ví dụ Quý III/2026)", "text", false),
            ],
        ),
        form(
            "submit",
            CommandKind::SubmitReport,
            "Nộp báo cáo",
            "Nộp báo cáo",
            vec![
                field("occurrence", "Kỳ (ví dụ Quý III/2026)", "text", false),
                field("document", "Số, ký hiệu văn bản", "text", false),
                field("link", "Đường dẫn", "text", false),
                field("file", "Tệp minh chứng", "file", false),
            ],
        ),
        form(
            "complete",
            CommandKind::Complete,
            "Báo cáo hoàn thành",
            "Hoàn thành",
            vec![
                field("on", "Ngày hoàn thành", "date", false),
                field("document", "Số, ký hiệu văn bản", "text", false),
                field("link", "Đường dẫn", "text", false),
                field("file", "Tệp minh chứng", "file", false),
            ],
        ),
        form(
            "request-extension",
            CommandKind::RequestExtension,
            "Đề nghị gia hạn",
            "Gửi đề nghị",
            vec![
                field("to", "Hạn đề nghị (ví dụ Quý II/2027 hoặc 30/06/2027)", "text", true),
                field("reason", "Lý do", "text", true),
            ],
        ),
        form(
            "extend",
            CommandKind::Extend,
            "Gia hạn",
            "Gia hạn",
            vec![field("to", "Hạn mới", "text", true), field("reason", "Căn cứ", "text", true)],
        ),
        form(
            "reject-extension",
            CommandKind::RejectExtension,
            "Từ chối đề nghị gia hạn",
            "Từ chối",
            vec![field("reason", "Lý do", "text", true)],
        ),
        form("pause", CommandKind::Pause, "Tạm dừng", "Tạm dừng", vec![field("reason", "Lý do", "text", true)]),
        form("resume", CommandKind::Resume, "Tiếp tục", "Tiếp tục", vec![field("note", "Ghi chú", "text", false)]),
        form(
            "assign",
            CommandKind::Assign,
            "Giao lại",
            "Giao",
            vec![
                field("lead", "Cơ quan chủ trì", "text", true),
                field("cooperating", "Cơ quan phối hợp (cách nhau bằng \";\")", "text", false),
                field("reason", "Lý do", "text", false),
            ],
        ),
        form("cancel", CommandKind::Cancel, "Hủy nhiệm vụ", "Hủy", vec![field("reason", "Lý do", "text", true)]),
        form("reopen", CommandKind::Reopen, "Mở lại nhiệm vụ", "Mở lại", vec![field("reason", "Lý do", "text", true)]),
        form(
            "confirm-completion",
            CommandKind::ConfirmCompletion,
            "Xác nhận hoàn thành",
            "Xác nhận",
            vec![field("note", "Ghi chú", "text", false)],
        ),
        form(
            "return-completion",
            CommandKind::ReturnCompletion,
            "Trả lại báo cáo hoàn thành",
            "Trả lại",
            vec![field("reason", "Lý do", "text", true)],
        ),
        form(
            "request-explanation",
            CommandKind::RequestExplanation,
            "Yêu cầu giải trình",
            "Gửi yêu cầu",
            vec![field("by", "Hạn giải trình", "date", true), field("reason", "Nội dung cần giải trình", "text", true)],
        ),
        form(
            "explain",
            CommandKind::Explain,
            "Giải trình",
            "Gửi giải trình",
            vec![field("text", "Nội dung giải trình", "text", true)],
        ),
        form("comment", CommandKind::Comment, "Ghi chú", "Ghi chú", vec![field("text", "Nội dung", "text", true)]),
    ]
}

/// A file sent with a form.
pub struct Upload {
    pub name: String,
    pub media_type: String,
    pub bytes: axum::body::Bytes,
}

/// A submitted form's inputs and its file (an empty file input sends none), from either
/// encoding a page's form may use.
pub async fn read<S: Send + Sync>(
    request: axum::extract::Request,
    state: &S,
) -> Result<(HashMap<String, String>, Option<Upload>), (axum::http::StatusCode, String)> {
    use axum::extract::{Form, FromRequest, Multipart};
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if !multipart {
        let Form(form) = Form::<HashMap<String, String>>::from_request(request, state)
            .await
            .map_err(|e| (e.status(), format!("biểu mẫu không đọc được: {}", e.body_text())))?;
        return Ok((form, None));
    }
    let mut parts = Multipart::from_request(request, state)
        .await
        .map_err(|e| (e.status(), format!("biểu mẫu không đọc được: {}", e.body_text())))?;
    let (mut form, mut upload) = (HashMap::new(), None);
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        let message = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            "tệp lớn hơn giới hạn cho phép".to_string()
        } else {
            format!("biểu mẫu không đọc được: {}", e.body_text())
        };
        (status, message)
    };
    while let Some(field) = parts.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let media_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        let bytes = field.bytes().await.map_err(unreadable)?;
        match file_name {
            Some(file_name) if name == "file" => {
                if !bytes.is_empty() && !file_name.is_empty() {
                    upload = Some(Upload { name: file_name, media_type, bytes });
                }
            }
            _ => {
                form.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((form, upload))
}

/// A submitted form as the JSON body of `action` (empty inputs left out; evidence grouped;
/// numbers and lists read).
pub fn body(action: &str, form: &HashMap<String, String>) -> Value {
    let mut body = Map::new();
    let mut evidence = Map::new();
    let evidenced = matches!(action, "submit" | "complete");
    for (name, value) in form {
        let value = value.trim();
        if value.is_empty() || matches!(name.as_str(), "csrf" | "revision" | "do") {
            continue;
        }
        let v = match name.as_str() {
            "percent" => value.parse::<u64>().map_or_else(|_| Value::String(value.into()), Value::from),
            "cooperating" => Value::Array(
                value.split(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.into())).collect(),
            ),
            _ => Value::String(value.into()),
        };
        match name.as_str() {
            "document" | "link" | "file_sha256" if evidenced => evidence.insert(name.clone(), v),
            "note" if evidenced => evidence.insert(name.clone(), v),
            _ => body.insert(name.clone(), v),
        };
    }
    if evidenced {
        body.insert("evidence".into(), Value::Object(evidence));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forms_become_the_api_bodies() {
        let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let cases = [
            (
                "progress",
                form(&[("percent", "40"), ("note", "đã làm"), ("occurrence", ""), ("csrf", "x")]),
                json!({"percent": 40, "note": "đã làm"}),
            ),
            (
                "complete",
                form(&[("on", "2026-03-02"), ("document", "12/BC"), ("link", "")]),
                json!({"on": "2026-03-02", "evidence": {"document": "12/BC"}}),
            ),
            (
                "submit",
                form(&[("document", "7/BC"), ("file_sha256", "ab"), ("occurrence", "2026-Q3")]),
                json!({"occurrence": "2026-Q3", "evidence": {"document": "7/BC", "file_sha256": "ab"}}),
            ),
            (
                "assign",
                form(&[("lead", "Sở Y tế"), ("cooperating", "Sở Tài chính; Sở Nội vụ ;")]),
                json!({"lead": "Sở Y tế", "cooperating": ["Sở Tài chính", "Sở Nội vụ"]}),
            ),
        ];
        for (action, form, want) in cases {
            assert_eq!(body(action, &form), want, "{action}");
        }
        for f in all() {
            let named = dondoc_app::requests::ACTIONS.iter().find(|(n, _)| *n == f.action);
            assert_eq!(named.map(|(_, k)| *k), Some(f.kind), "{}", f.action);
        }
    }
}
