//! A canned HTTP server on 127.0.0.1: answers each connection with the next
//! response given and reports the request line it saw. For hostile replies
//! no emulator would send.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    sync::mpsc,
};

/// One request as the canned server saw it.
#[derive(Debug)]
pub struct Seen {
    pub line: String,
    pub request_id: Option<String>,
}

/// Answers the connections it gets with `responses`, in order, and reports
/// what it was asked.
pub fn canned(responses: Vec<&'static str>) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for (stream, response) in listener.incoming().zip(responses) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut first, mut request_id) = (0, String::new(), None);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if let Some(value) = lower.strip_prefix("x-request-id:") {
                    request_id = Some(value.trim().to_owned());
                }
                if first.is_empty() {
                    first = line.trim().to_owned();
                }
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            stream.write_all(response.as_bytes()).unwrap();
            let _ = sender.send(Seen { line: first, request_id });
        }
    });
    (url, seen)
}

pub fn reply(status: &str, body: &str) -> &'static str {
    reply_with(status, "", body)
}

pub fn reply_with(status: &str, headers: &str, body: &str) -> &'static str {
    let text = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
    Box::leak(text.into_boxed_str())
}
