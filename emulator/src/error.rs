//! An error as AWS answers it: a code, a message, an HTTP status, and whose
//! fault it was. The wire layers (awsQuery XML, DynamoDB JSON) render it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub code: String,
    pub message: String,
    pub status: u16,
    /// `Sender` (the client's fault) or `Receiver` (ours).
    pub sender_fault: bool,
}

impl AwsError {
    pub fn new(code: &str, status: u16, message: impl Into<String>) -> AwsError {
        AwsError {
            code: code.to_string(),
            message: message.into(),
            status,
            sender_fault: status < 500,
        }
    }

    pub fn access_denied(message: impl Into<String>) -> AwsError {
        AwsError::new("AccessDenied", 403, message)
    }

    pub fn validation(message: impl Into<String>) -> AwsError {
        AwsError::new("ValidationError", 400, message)
    }

    pub fn internal(message: impl Into<String>) -> AwsError {
        AwsError::new("InternalFailure", 500, message)
    }

    /// The evaluator could not decide: AWS denies on enforcement errors (spec
    /// §3.4), but this is our fault, so it is a 500 that says so.
    pub fn evaluator(e: &rolechain_policy::evaluator::EvaluatorError) -> AwsError {
        match e {
            rolechain_policy::evaluator::EvaluatorError::Refused { code, message } => {
                AwsError::new(code, 400, message.clone())
            }
            other => AwsError::internal(format!("The policy evaluator failed: {other}")),
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

/// Collects constraint violations the way AWS's Coral frameworks word them:
/// `1 validation error detected: Value 'x' at 'roleSessionName' failed to
/// satisfy constraint: …`, several joined with `; ` (spec §1.1).
#[derive(Debug, Default)]
pub struct Violations {
    found: Vec<String>,
}

impl Violations {
    pub fn new() -> Violations {
        Violations::default()
    }

    pub fn add(&mut self, value: &str, member: &str, constraint: &str) {
        self.found.push(format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A length check on a sensitive member (a token): its value is never echoed.
    pub fn sensitive_length(&mut self, value: &str, member: &str, min: usize, max: usize) {
        let n = value.chars().count();
        let constraint = if n < min {
            format!("Member must have length greater than or equal to {min}")
        } else if n > max {
            format!("Member must have length less than or equal to {max}")
        } else {
            return;
        };
        self.found.push(format!(
            "Value at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Checks a string's length bounds (in characters).
    pub fn length(&mut self, value: &str, member: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.add(
                value,
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.add(
                value,
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// Checks every character against a pattern's class, reporting the pattern.
    pub fn pattern(&mut self, value: &str, member: &str, pattern: &str, allowed: impl Fn(char) -> bool) {
        if !value.chars().all(allowed) {
            self.add(
                value,
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    pub fn range(&mut self, value: i64, member: &str, min: i64, max: i64) {
        if value < min {
            self.add(
                &value.to_string(),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if value > max {
            self.add(
                &value.to_string(),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    pub fn into_result(self) -> Result<(), AwsError> {
        match self.found.len() {
            0 => Ok(()),
            1 => Err(AwsError::validation(format!(
                "1 validation error detected: {}",
                self.found[0]
            ))),
            n => Err(AwsError::validation(format!(
                "{n} validation errors detected: {}",
                self.found.join("; ")
            ))),
        }
    }
}

/// `[\w+=,.@-]`: role session names, source identities.
pub fn session_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_read_as_aws_writes_them() {
        let mut v = Violations::new();
        v.pattern("a:b", "roleSessionName", r"[\w+=,.@-]*", session_name_char);
        assert_eq!(
            v.into_result().unwrap_err().message,
            r"1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        );
        let mut v = Violations::new();
        v.length(&"x".repeat(65), "roleSessionName", 2, 64);
        v.range(100, "durationSeconds", 900, 43200);
        let e = v.into_result().unwrap_err();
        assert!(e.message.starts_with("2 validation errors detected: "), "{}", e.message);
        assert!(
            e.message
                .contains("Member must have length less than or equal to 64; Value '100'")
        );
    }
}
