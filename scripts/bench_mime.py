#!/usr/bin/env python3
"""Parse benchmark for MailpenMIME against Python's email package (`make bench`).

Measures, in one run and on the same files:
  * the fixture corpus (fixtures/mime/*.eml): MB/s for parsing alone, and for a
    "summary" (what the store does on ingest: subject, addresses, date, message id,
    text and HTML bodies, attachment list);
  * one message with a 25 MB base64 attachment: parse time and peak memory.
Each measurement runs in its own process so peak RSS (VmHWM) is per task.

Usage: python3 scripts/bench_mime.py --swift .build/release/mime-bench [--seconds 3] [--json out.json]
The Swift side is scripts/mime-bench/bench_mime.swift, the SwiftPM product mime-bench (see the Makefile).
"""
import argparse
import base64
import email
import email.policy
import glob
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_large_message(path, megabytes):
    """A message with a short text part and a `megabytes` MB base64 attachment."""
    payload = random.Random(25).randbytes(megabytes * 1_000_000)
    encoded = base64.encodebytes(payload).replace(b'\n', b'\r\n')  # 76-character lines
    with open(path, 'wb') as handle:
        handle.write(b'From: Uploader <up@example.com>\r\nTo: you@example.com\r\n'
                     b'Subject: Large attachment\r\nDate: Mon, 1 Apr 2024 10:00:00 +0000\r\n'
                     b'Message-ID: <large@example.com>\r\nMIME-Version: 1.0\r\n'
                     b'Content-Type: multipart/mixed; boundary="large-boundary"\r\n\r\n'
                     b'--large-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
                     b'See the attached archive.\r\n'
                     b'--large-boundary\r\nContent-Type: application/octet-stream; name="data.bin"\r\n'
                     b'Content-Disposition: attachment; filename="data.bin"\r\n'
                     b'Content-Transfer-Encoding: base64\r\n\r\n')
        handle.write(encoded)
        handle.write(b'\r\n--large-boundary--\r\n')
    return len(payload)


# ---------------------------------------------------------------- Python worker

def peak_rss_kib():
    """This process's peak resident set (VmHWM). Unlike ru_maxrss it is not
    inherited from the parent across fork/exec."""
    with open('/proc/self/status') as handle:
        for line in handle:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def summarize(message):
    """Python's equivalent of what the store reads on ingest."""
    total = 0
    subject = message['subject']
    total += len(str(subject)) if subject is not None else 0
    for name in ('from', 'sender', 'reply-to', 'to', 'cc', 'bcc'):
        for header in message.get_all(name) or []:
            total += len(getattr(header, 'addresses', ()))
    date = message['date']
    total += 1 if date is not None and getattr(date, 'datetime', None) else 0
    total += len(str(message['message-id'] or ''))
    for preference in ('plain', 'html'):
        body = message.get_body(preferencelist=(preference,))
        if body is not None:
            try:
                total += len(body.get_content())
            except (LookupError, KeyError, ValueError):
                pass
    for part in message.walk():
        if not part.is_multipart() and part.get_filename():
            payload = part.get_payload(decode=True)
            total += len(payload) if payload else 0
    return total


def python_worker(mode, paths, seconds):
    # "-compat32" variants parse with the legacy policy, which is much faster than
    # policy.default (it does not build header objects); the ratio uses the faster one.
    policy = email.policy.default
    if mode.endswith('-compat32'):
        policy = email.policy.compat32
        mode = mode[:-len('-compat32')]
    inputs = []
    for path in paths:
        with open(path, 'rb') as handle:
            inputs.append(handle.read())
    size = sum(len(data) for data in inputs)
    baseline = peak_rss_kib()
    result = {'mode': mode, 'files': len(inputs), 'bytes': size, 'baselineRSSKiB': baseline}
    if mode in ('parse', 'summary'):
        rounds = 0
        checksum = 0
        start = time.perf_counter()
        while True:
            for data in inputs:
                message = email.message_from_bytes(data, policy=policy)
                checksum += summarize(message) if mode == 'summary' else len(message.get_payload() or '')
            rounds += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        result.update(rounds=rounds, seconds=elapsed, MBps=size * rounds / elapsed / 1e6,
                      usPerMessage=elapsed / (rounds * len(inputs)) * 1e6, checksum=checksum)
    elif mode == 'large':
        start = time.perf_counter()
        message = email.message_from_bytes(inputs[0], policy=policy)
        parsed = time.perf_counter()
        result['peakRSSAfterParseKiB'] = peak_rss_kib()
        decoded = 0
        for part in message.walk():
            if part.get_filename():
                decoded += len(part.get_payload(decode=True))
        done = time.perf_counter()
        result.update(parseSeconds=parsed - start, parseMBps=size / (parsed - start) / 1e6,
                      decodeSeconds=done - parsed, decodedBytes=decoded)
    result['peakRSSKiB'] = peak_rss_kib()
    print(json.dumps(result, sort_keys=True))


# ---------------------------------------------------------------- driver

def run(command):
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--swift', help='the compiled Swift benchmark (scripts/mime-bench/bench_mime.swift)')
    parser.add_argument('--fixtures', default=os.path.join(ROOT, 'fixtures', 'mime'))
    parser.add_argument('--seconds', type=float, default=3.0)
    parser.add_argument('--large-mb', type=int, default=25)
    parser.add_argument('--json', help='also write the results to this file')
    parser.add_argument('--worker', nargs=2, metavar=('MODE', 'LIST'), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        mode, listing = args.worker
        with open(listing) as handle:
            python_worker(mode, handle.read().split('\n'), args.seconds)
        return
    if not args.swift:
        parser.error('--swift is required')

    corpus = sorted(glob.glob(os.path.join(args.fixtures, '*.eml')))
    with tempfile.TemporaryDirectory() as directory:
        large = os.path.join(directory, 'large.eml')
        attachment_bytes = make_large_message(large, args.large_mb)
        corpus_list = os.path.join(directory, 'corpus.txt')
        large_list = os.path.join(directory, 'large.txt')
        with open(corpus_list, 'w') as handle:
            handle.write('\n'.join(corpus))
        with open(large_list, 'w') as handle:
            handle.write(large)
        me = [sys.executable, os.path.abspath(__file__), '--seconds', str(args.seconds), '--worker']
        swift = [args.swift, '--seconds', str(args.seconds), '--mode']
        results = {}
        for mode in ('parse', 'summary'):
            results['swift-' + mode] = run(swift + [mode] + corpus)
            results['python-' + mode] = run(me + [mode, corpus_list])
        results['python-parse-compat32'] = run(me + ['parse-compat32', corpus_list])
        results['swift-large'] = run(swift + ['large', large])
        results['python-large'] = run(me + ['large', large_list])
        results['python-large-compat32'] = run(me + ['large-compat32', large_list])
        large_size = os.path.getsize(large)

    def ratio(key):
        """Swift over the faster of Python's two policies (only default has get_body)."""
        field = 'parseMBps' if key == 'large' else 'MBps'
        python = max(results[name][field] for name in ('python-' + key, 'python-' + key + '-compat32')
                     if name in results)
        return results['swift-' + key][field] / python

    corpus_bytes = results['swift-parse']['bytes']
    print('MailpenMIME parse benchmark (Swift -O vs Python %s email, policy=default)' % sys.version.split()[0])
    print('corpus: %d fixtures, %.1f KB; large: %.1f MB message with a %d MB base64 attachment'
          % (len(corpus), corpus_bytes / 1e3, large_size / 1e6, attachment_bytes // 1_000_000))
    print()
    print('Python columns: policy=default / policy=compat32; ratio = Swift / faster Python')
    print()
    print('%-28s %10s %19s %8s' % ('', 'Swift', 'Python', 'ratio'))
    print('%-28s %10.1f %9.1f / %7.1f %7.1fx' % ('corpus parse MB/s', results['swift-parse']['MBps'],
                                                 results['python-parse']['MBps'],
                                                 results['python-parse-compat32']['MBps'], ratio('parse')))
    print('%-28s %10.1f %9.1f / %7.1f' % ('  µs per message', results['swift-parse']['usPerMessage'],
                                          results['python-parse']['usPerMessage'],
                                          results['python-parse-compat32']['usPerMessage']))
    print('%-28s %10.1f %9.1f / %7s %7.1fx' % ('corpus summary MB/s', results['swift-summary']['MBps'],
                                               results['python-summary']['MBps'], '-', ratio('summary')))
    print('%-28s %10.1f %9.1f / %7s' % ('  µs per message', results['swift-summary']['usPerMessage'],
                                        results['python-summary']['usPerMessage'], '-'))
    print('%-28s %10.1f %9.1f / %7.1f %7.1fx' % ('large parse MB/s', results['swift-large']['parseMBps'],
                                                 results['python-large']['parseMBps'],
                                                 results['python-large-compat32']['parseMBps'], ratio('large')))
    print('%-28s %10.3f %9.3f / %7.3f' % ('  parse seconds', results['swift-large']['parseSeconds'],
                                          results['python-large']['parseSeconds'],
                                          results['python-large-compat32']['parseSeconds']))
    print('%-28s %10.3f %9.3f' % ('  decode attachment seconds', results['swift-large']['decodeSeconds'],
                                  results['python-large']['decodeSeconds']))
    print('%-28s %10.1f %9.1f' % ('peak RSS MB (corpus)', results['swift-parse']['peakRSSKiB'] / 1024,
                                  results['python-parse']['peakRSSKiB'] / 1024))
    print('%-28s %10.1f %9.1f' % ('peak RSS MB (large, loaded)', results['swift-large']['baselineRSSKiB'] / 1024,
                                  results['python-large']['baselineRSSKiB'] / 1024))
    print('%-28s %10.1f %9.1f' % ('  … after parse', results['swift-large']['peakRSSAfterParseKiB'] / 1024,
                                  results['python-large']['peakRSSAfterParseKiB'] / 1024))
    print('%-28s %10.1f %9.1f' % ('  … after decoding it', results['swift-large']['peakRSSKiB'] / 1024,
                                  results['python-large']['peakRSSKiB'] / 1024))
    summary = {'results': results, 'ratios': {key: ratio(key) for key in ('parse', 'summary', 'large')}}
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(summary, handle, indent=1, sort_keys=True)
    target = 5.0
    worst = min(summary['ratios']['parse'], summary['ratios']['large'])
    print()
    print('target: Swift ≥ %.0f× Python on parse throughput: %s (worst %.1fx)'
          % (target, 'met' if worst >= target else 'NOT met', worst))


if __name__ == '__main__':
    main()
