//! The API reference at `/api/docs`: the generated OpenAPI document, read
//! as people read a manual (every operation with its parameters, body and
//! answers, then every type), rendered by the server: no script, no CDN.

use askama::Template;
use serde_json::Value;

#[derive(Template)]
#[template(path = "api/docs.html")]
struct Reference {
    title: String,
    version: String,
    description: Vec<Span>,
    tags: Vec<Tag>,
    types: Vec<Type>,
}

struct Tag {
    name: String,
    description: Vec<Span>,
    operations: Vec<Operation>,
}

struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: Vec<Span>,
    description: Vec<Span>,
    parameters: Vec<Field>,
    body: Option<String>,
    answers: Vec<Answer>,
}

struct Answer {
    status: String,
    description: Vec<Span>,
    body: String,
}

struct Field {
    name: String,
    kind: String,
    required: bool,
    description: Vec<Span>,
}

struct Type {
    name: String,
    description: Vec<Span>,
    fields: Vec<Field>,
}

/// The reference page for `document`, rendered once at start-up.
pub fn page(document: &utoipa::openapi::OpenApi) -> String {
    let document = serde_json::to_value(document).unwrap_or_default();
    read(&document).render().unwrap_or_else(|error| {
        tracing::error!(%error, "could not render the API reference");
        "The API reference could not be rendered; /api/v1/openapi.json has it all.".to_owned()
    })
}

fn string(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// A piece of a description: plain words, or `code` (written between
/// backticks in the document).
struct Span {
    code: bool,
    text: String,
}

fn spans(value: &Value) -> Vec<Span> {
    string(value)
        .split('`')
        .enumerate()
        .filter(|(_, text)| !text.is_empty())
        .map(|(i, text)| Span {
            code: i % 2 == 1,
            text: text.to_owned(),
        })
        .collect()
}

fn read(document: &Value) -> Reference {
    let mut tags: Vec<Tag> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Tag {
            name: string(&tag["name"]),
            description: spans(&tag["description"]),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let operation = &item[method];
            if operation.is_null() {
                continue;
            }
            let tag = operation["tags"][0].as_str().unwrap_or("other");
            let found = read_operation(method, path, operation);
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(t) => t.operations.push(found),
                None => tags.push(Tag {
                    name: tag.to_owned(),
                    description: Vec::new(),
                    operations: vec![found],
                }),
            }
        }
    }
    let types = document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| Type {
            name: name.clone(),
            description: spans(&schema["description"]),
            fields: fields_of(schema),
        })
        .collect();
    Reference {
        title: string(&document["info"]["title"]),
        version: string(&document["info"]["version"]),
        description: spans(&document["info"]["description"]),
        tags,
        types,
    }
}

fn read_operation(method: &str, path: &str, operation: &Value) -> Operation {
    let parameters = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Field {
            name: string(&p["name"]),
            kind: format!("{}, in the {}", kind(&p["schema"]), string(&p["in"])),
            required: p["required"].as_bool().unwrap_or(false),
            description: spans(&p["description"]),
        })
        .collect();
    let body = operation["requestBody"]["content"]
        .as_object()
        .and_then(|content| content.values().next())
        .map(|media| kind(&media["schema"]));
    let answers = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, response)| Answer {
            status: status.clone(),
            description: spans(&response["description"]),
            body: response["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(media, content)| format!("{} ({media})", kind(&content["schema"])))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    Operation {
        anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: spans(&operation["summary"]),
        description: spans(&operation["description"]),
        parameters,
        body,
        answers,
    }
}

/// The properties of an object schema, required ones first.
fn fields_of(schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut fields: Vec<Field> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| Field {
            name: name.clone(),
            kind: kind(property),
            required: required.contains(&name.as_str()),
            description: spans(&property["description"]),
        })
        .collect();
    fields.sort_by_key(|field| !field.required);
    fields
}

/// A schema in words: `string`, `integer or null`, `list of Link`, `Link`.
fn kind(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    if let Some(any) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        return any.iter().map(kind).collect::<Vec<_>>().join(" or ");
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many.iter().map(string).collect(),
        _ => vec!["any".to_owned()],
    };
    types
        .into_iter()
        .map(|t| match t.as_str() {
            "array" => format!("list of {}", kind(&schema["items"])),
            _ => t,
        })
        .collect::<Vec<_>>()
        .join(" or ")
}
