#!/usr/bin/env python3
"""Python's view of the MIME fixtures, for the differential test of MailpenMIME.

Parses every fixture with the standard library's `email` package
(`policy=email.policy.default`) and prints one JSON object:
{"<file name>": {...view...}, ...}. `Tests/MailpenMIMETests/DifferentialTests.swift`
runs this script and compares each field with what MailpenMIME produces.

Only the *parsing* is Python's; two view rules that have no Python equivalent are
applied on top of Python's tree, exactly as MailpenMIME defines them:
  * part ids: IMAP section numbers; the top-level multipart is "0", the multipart
    root of an encapsulated message N is "N.0", a non-multipart body is "1"/"N.1";
  * attachments: leaves (a message/rfc822 part counts as one leaf) other than the
    chosen text and HTML bodies, minus unnamed non-attachment text/plain|html parts.
Everything else is Python's own answer: header decoding, address parsing, dates,
boundaries, transfer decoding, charset decoding (`get_content()`), `get_body()`.

Usage: python3 scripts/mime_diff.py fixtures/mime
"""
import email
import email.policy
import json
import os
import re
import sys
from datetime import timezone

SURROGATES = re.compile('[\ud800-\udfff]')
ADDRESS_HEADERS = ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc']


def clean(value):
    """JSON-safe text: undecodable bytes (lone surrogates) become U+FFFD."""
    if value is None:
        return None
    return SURROGATES.sub('\ufffd', str(value))


def text_of(part):
    try:
        content = part.get_content()
    except Exception as error:  # noqa: BLE001 - report, do not crash
        return 'PYTHON-ERROR: %s' % type(error).__name__
    if isinstance(content, bytes):
        return None
    return clean(content.replace('\r\n', '\n').replace('\r', '\n'))


def addresses(message, name):
    out = []
    for header in message.get_all(name) or []:
        try:
            groups = header.groups
        except AttributeError:
            continue
        for group in groups:
            for address in group.addresses:
                spec = clean(address.addr_spec)
                if spec in ('', '<>'):
                    continue
                out.append({
                    'name': clean(address.display_name) or None,
                    'address': spec,
                    'group': clean(group.display_name) if group.display_name is not None else None,
                })
    return out


def date_of(message):
    header = message.get('date')
    if header is None:
        return None
    try:
        value = header.datetime
    except Exception:  # noqa: BLE001
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def number_parts(message):
    """[(id, part)] depth first, ids as documented in MIMEPart."""
    out = []

    def visit_message(entity, prefix):
        if entity.is_multipart() and entity.get_content_maintype() == 'multipart':
            part_id = '0' if prefix == '' else prefix + '.0'
            out.append((part_id, entity))
            visit_children(entity, prefix)
        else:
            part_id = '1' if prefix == '' else prefix + '.1'
            visit_body(entity, part_id)

    def visit_children(container, prefix):
        for index, child in enumerate(container.get_payload(), start=1):
            child_id = str(index) if prefix == '' else '%s.%d' % (prefix, index)
            visit_body(child, child_id)

    def visit_body(entity, part_id):
        if entity.get_content_maintype() == 'message' and entity.is_multipart():
            out.append((part_id, entity))
            children = entity.get_payload()
            if len(children) == 1:
                visit_message(children[0], part_id)
            else:  # message/delivery-status: Python makes one pseudo-message per block
                for index, child in enumerate(children, start=1):
                    visit_body(child, '%s.%d' % (part_id, index))
            return
        out.append((part_id, entity))
        if entity.is_multipart():
            visit_children(entity, part_id)

    visit_message(message, '')
    return out


def leaf_size(part):
    if part.is_multipart():
        return None
    payload = part.get_payload(decode=True)
    return None if payload is None else len(payload)


def content_id(part):
    value = part.get('content-id')
    if value is None:
        return None
    value = clean(value).strip()
    match = re.search(r'<([^<>]*)>', value)
    return (match.group(1) if match else value).replace(' ', '') or None


def view(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    numbered = number_parts(message)
    ids = {id(part): part_id for part_id, part in numbered}
    result = {
        'subject': clean(message['subject']) if message['subject'] is not None else None,
        'date': date_of(message),
    }
    for name in ADDRESS_HEADERS:
        result[name] = addresses(message, name)
    parts = []
    for part_id, part in numbered:
        entry = {
            'id': part_id,
            'type': part.get_content_type(),
            'filename': clean(part.get_filename()),
            'disposition': part.get_content_disposition(),
            'contentID': content_id(part),
            'size': leaf_size(part),
            'text': None,
        }
        if part.get_content_maintype() == 'text' and not part.is_multipart():
            entry['text'] = text_of(part)
        parts.append(entry)
    result['parts'] = parts
    bodies = {}
    for key, preference in (('textBody', 'plain'), ('htmlBody', 'html')):
        try:
            body = message.get_body(preferencelist=(preference,))
        except Exception as error:  # noqa: BLE001
            result[key] = 'PYTHON-ERROR: %s' % type(error).__name__
            result[key + 'Part'] = None
            continue
        bodies[key] = body
        result[key] = text_of(body) if body is not None else None
        result[key + 'Part'] = ids.get(id(body)) if body is not None else None
    body_ids = {ids.get(id(body)) for body in bodies.values() if body is not None}
    attachments = []
    for part_id, part in numbered:
        # Leaves, not descending into encapsulated messages.
        if any(part_id.startswith(other + '.') for other, p in numbered
               if p.get_content_maintype() == 'message' and p.is_multipart()):
            continue
        if part.get_content_maintype() == 'multipart':
            continue
        if part_id in body_ids:
            continue
        if (part.get_content_type() in ('text/plain', 'text/html')
                and part.get_content_disposition() != 'attachment'
                and part.get_filename() is None):
            continue
        attachments.append({
            'partID': part_id,
            'filename': clean(part.get_filename()),
            'contentType': part.get_content_type(),
            'size': leaf_size(part),
        })
    result['attachments'] = attachments
    return result


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else 'fixtures/mime'
    output = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.eml'):
            continue
        with open(os.path.join(directory, name), 'rb') as handle:
            raw = handle.read()
        try:
            output[name] = view(raw)
        except Exception as error:  # noqa: BLE001
            output[name] = {'error': '%s: %s' % (type(error).__name__, error)}
    json.dump(output, sys.stdout, ensure_ascii=True, sort_keys=True, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
