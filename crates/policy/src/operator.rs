//! Condition operators: their names, families and qualifiers.

use std::fmt;

/// The operator without its qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// Which kind of value an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

use BaseOperator as B;

const ALL: [(BaseOperator, &str); 27] = [
    (B::StringEquals, "StringEquals"),
    (B::StringNotEquals, "StringNotEquals"),
    (B::StringEqualsIgnoreCase, "StringEqualsIgnoreCase"),
    (B::StringNotEqualsIgnoreCase, "StringNotEqualsIgnoreCase"),
    (B::StringLike, "StringLike"),
    (B::StringNotLike, "StringNotLike"),
    (B::NumericEquals, "NumericEquals"),
    (B::NumericNotEquals, "NumericNotEquals"),
    (B::NumericLessThan, "NumericLessThan"),
    (B::NumericLessThanEquals, "NumericLessThanEquals"),
    (B::NumericGreaterThan, "NumericGreaterThan"),
    (B::NumericGreaterThanEquals, "NumericGreaterThanEquals"),
    (B::DateEquals, "DateEquals"),
    (B::DateNotEquals, "DateNotEquals"),
    (B::DateLessThan, "DateLessThan"),
    (B::DateLessThanEquals, "DateLessThanEquals"),
    (B::DateGreaterThan, "DateGreaterThan"),
    (B::DateGreaterThanEquals, "DateGreaterThanEquals"),
    (B::Bool, "Bool"),
    (B::BinaryEquals, "BinaryEquals"),
    (B::IpAddress, "IpAddress"),
    (B::NotIpAddress, "NotIpAddress"),
    (B::ArnEquals, "ArnEquals"),
    (B::ArnLike, "ArnLike"),
    (B::ArnNotEquals, "ArnNotEquals"),
    (B::ArnNotLike, "ArnNotLike"),
    (B::Null, "Null"),
];

impl BaseOperator {
    pub fn name(self) -> &'static str {
        ALL.iter().find(|(op, _)| *op == self).map_or("", |(_, n)| n)
    }

    /// Every operator name, for suggestions.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        ALL.iter().map(|(_, n)| *n)
    }

    fn from_name(name: &str) -> Option<BaseOperator> {
        ALL.iter().find(|(_, n)| *n == name).map(|(op, _)| *op)
    }

    pub fn family(self) -> Family {
        match self {
            B::StringEquals
            | B::StringNotEquals
            | B::StringEqualsIgnoreCase
            | B::StringNotEqualsIgnoreCase
            | B::StringLike
            | B::StringNotLike => Family::String,
            B::NumericEquals
            | B::NumericNotEquals
            | B::NumericLessThan
            | B::NumericLessThanEquals
            | B::NumericGreaterThan
            | B::NumericGreaterThanEquals => Family::Numeric,
            B::DateEquals
            | B::DateNotEquals
            | B::DateLessThan
            | B::DateLessThanEquals
            | B::DateGreaterThan
            | B::DateGreaterThanEquals => Family::Date,
            B::Bool => Family::Bool,
            B::BinaryEquals => Family::Binary,
            B::IpAddress | B::NotIpAddress => Family::Ip,
            B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => Family::Arn,
            B::Null => Family::Null,
        }
    }

    /// A negated operator is true when the value matches none of the policy values,
    /// and true when the key is missing.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            B::StringNotEquals
                | B::StringNotEqualsIgnoreCase
                | B::StringNotLike
                | B::NumericNotEquals
                | B::DateNotEquals
                | B::NotIpAddress
                | B::ArnNotEquals
                | B::ArnNotLike
        )
    }

    /// The positive operator a negated one negates (itself when not negated).
    pub fn positive(self) -> BaseOperator {
        match self {
            B::StringNotEquals => B::StringEquals,
            B::StringNotEqualsIgnoreCase => B::StringEqualsIgnoreCase,
            B::StringNotLike => B::StringLike,
            B::NumericNotEquals => B::NumericEquals,
            B::DateNotEquals => B::DateEquals,
            B::NotIpAddress => B::IpAddress,
            B::ArnNotEquals => B::ArnEquals,
            B::ArnNotLike => B::ArnLike,
            other => other,
        }
    }

    /// Whether policy variables are substituted in this operator's values.
    pub fn takes_variables(self) -> bool {
        matches!(self.family(), Family::String | Family::Arn)
    }
}

/// `ForAllValues:` / `ForAnyValue:` set qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A whole operator as written in a `Condition` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub base: BaseOperator,
    pub qualifier: Option<SetQualifier>,
    pub if_exists: bool,
}

/// Why an operator name is not one AWS knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperator {
    pub suggestion: Option<&'static str>,
}

impl Operator {
    /// Parses `ForAnyValue:StringLikeIfExists` and friends. Names are case-sensitive, as in AWS.
    pub fn parse(text: &str) -> Result<Operator, UnknownOperator> {
        let (qualifier, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let (if_exists, name) = match rest.strip_suffix("IfExists") {
            Some(name) => (true, name),
            None => (false, rest),
        };
        match BaseOperator::from_name(name) {
            // Null takes no IfExists: "Null with if exists" is an error in AWS.
            Some(B::Null) if if_exists || qualifier.is_some() => Err(UnknownOperator {
                suggestion: Some("Null"),
            }),
            Some(base) => Ok(Operator {
                base,
                qualifier,
                if_exists,
            }),
            None => Err(UnknownOperator {
                suggestion: suggest(name),
            }),
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// The known operator closest to a misspelt one (case slips and small typos).
fn suggest(name: &str) -> Option<&'static str> {
    crate::text::closest(name, BaseOperator::all_names(), 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualifiers_and_suffix() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.base, B::StringLike);
        assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
        for (_, name) in ALL {
            assert_eq!(Operator::parse(name).unwrap().base.name(), name);
        }
    }

    #[test]
    fn rejects_unknown_and_suggests() {
        assert_eq!(
            Operator::parse("StringEqual").unwrap_err().suggestion,
            Some("StringEquals")
        );
        assert_eq!(
            Operator::parse("stringequals").unwrap_err().suggestion,
            Some("StringEquals")
        );
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("Frobnicate").unwrap_err().suggestion.is_none());
    }
}
