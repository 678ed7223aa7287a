#!/usr/bin/env python3
"""Validate JSON documents against the gateway's JSON Schemas (schemas/*.json).

As a module:

    from schema_check import Schemas
    s = Schemas()                          # loads schemas/*.json
    s.errors('answer', {"result": None})   # [] when valid, else one line per problem
    s.check('event', doc)                  # raises SchemaError with those lines

As a command:

    schema_check.py SCHEMA [FILE...]       # each FILE holds one JSON document
    schema_check.py SCHEMA --list FILE     # FILE holds a JSON list of documents
    ... | schema_check.py SCHEMA           # no FILE: one JSON document per line on stdin
    schema_check.py SCHEMA --invalid ...   # every document must be rejected

SCHEMA is a file name under schemas/ with or without .json (event, answer, request, reply,
kv-state), optionally with a fragment: request#/$defs/tc. One line per document that fails
(or, with --invalid, that passes); exit status 0 when every document came out as expected,
1 otherwise, 2 on bad usage. Works with python3-jsonschema 4.10 (Debian 12) and later.
"""
import argparse
import glob
import json
import os
import sys

import jsonschema
from jsonschema.exceptions import best_match

SCHEMA_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'schemas'))
MAX_MESSAGE = 240


class SchemaError(ValueError):
    pass


def path_of(error):
    """$.components[0].invoke.invokeId"""
    text = '$'
    for p in error.absolute_path:
        text += '[%d]' % p if isinstance(p, int) else '.' + str(p)
    return text


def describe(error):
    """One line for one validation error: where, what, and the schema's $comment if any."""
    comment = error.schema.get('$comment') if isinstance(error.schema, dict) else None
    if error.validator == 'not' and isinstance(error.validator_value, dict):
        comment = error.validator_value.get('$comment', comment)	# {"not": {"$comment": why, ...}}
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + '...'
    if comment and error.validator in ('not', 'maxProperties', 'minProperties', 'maxItems'):
        message = comment		# "{...} should not be valid under {...}" says less
    elif comment:
        message += ' (%s)' % comment
    return '%s: %s' % (path_of(error), message)


class Schemas:
    """Every schema of a directory, cross-references resolved among them."""

    def __init__(self, directory=SCHEMA_DIR):
        self.by_name = {}
        for path in sorted(glob.glob(os.path.join(directory, '*.json'))):
            with open(path) as f:
                self.by_name[os.path.basename(path)[:-5]] = json.load(f)
        if not self.by_name:
            raise SchemaError('no schemas in %s' % directory)
        for schema in self.by_name.values():
            jsonschema.Draft202012Validator.check_schema(schema)
        self._validators = {}

    def _validator(self, name):
        if name in self._validators:
            return self._validators[name]
        base, _, fragment = name.partition('#')
        if base.endswith('.json'):
            base = base[:-5]
        if base not in self.by_name:
            raise SchemaError('no schema "%s" (have: %s)' % (base, ', '.join(sorted(self.by_name))))
        root = {'$ref': self.by_name[base]['$id'] + ('#' + fragment if fragment else '')}
        try:		# jsonschema >= 4.18: the referencing library
            from referencing import Registry, Resource
            registry = Registry().with_resources(
                (s['$id'], Resource.from_contents(s)) for s in self.by_name.values())
            v = jsonschema.Draft202012Validator(root, registry=registry)
        except ImportError:	# jsonschema 4.10 (Debian 12)
            store = {s['$id']: s for s in self.by_name.values()}
            # the root is a bare $ref: its base URI must not be the target's $id, or the
            # resolver stores the root under that id and the $ref resolves to itself
            resolver = jsonschema.RefResolver('', root, store=store)
            v = jsonschema.Draft202012Validator(root, resolver=resolver)
        self._validators[name] = v
        return v

    def errors(self, name, doc):
        """[] when doc is valid; else the best-matching problem first, then the others."""
        errs = list(self._validator(name).iter_errors(doc))
        if not errs:
            return []
        best = best_match(errs)
        lines = [describe(best)]
        lines += [describe(e) for e in errs if e is not best and describe(e) not in lines]
        return lines

    def check(self, name, doc):
        errs = self.errors(name, doc)
        if errs:
            raise SchemaError('%s: %s' % (name, errs[0]))


def documents(args):
    """(where, document or an exception) for each input document."""
    if not args.files:
        for n, line in enumerate(sys.stdin, 1):
            if line.strip():
                try:
                    yield 'stdin:%d' % n, json.loads(line)
                except ValueError as e:
                    yield 'stdin:%d' % n, e
        return
    for path in args.files:
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            yield path, e
            continue
        if not args.list:
            yield path, doc
        elif not isinstance(doc, list):
            yield path, ValueError('--list: the file does not hold a JSON list')
        else:
            for i, d in enumerate(doc):
                yield '%s[%d]' % (path, i), d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('schema', help='event, answer, request, reply, kv-state (optionally #/$defs/NAME)')
    ap.add_argument('files', nargs='*', help='JSON files (none: JSON lines on stdin)')
    ap.add_argument('--list', action='store_true', help='each file holds a JSON list of documents')
    ap.add_argument('--invalid', action='store_true', help='every document must be rejected')
    ap.add_argument('--schemas', default=SCHEMA_DIR, help='directory of the schemas (default %(default)s)')
    ap.add_argument('-v', '--verbose', action='store_true', help='every problem, and a line per good document')
    args = ap.parse_args()
    try:
        schemas = Schemas(args.schemas)
        schemas.errors(args.schema, {})		# an unknown name fails here, once
    except SchemaError as e:
        print('schema_check: %s' % e, file=sys.stderr)
        return 2
    total = bad = 0
    for where, doc in documents(args):
        total += 1
        if isinstance(doc, Exception):
            bad += 1
            print('%s: not JSON: %s' % (where, doc))
            continue
        errs = schemas.errors(args.schema, doc)
        if args.invalid and not errs:
            bad += 1
            print('%s: accepted, but must be rejected by %s' % (where, args.schema))
        elif not args.invalid and errs:
            bad += 1
            for line in errs if args.verbose else errs[:1]:
                print('%s: %s' % (where, line))
        elif args.verbose:
            print('%s: ok%s' % (where, ' (rejected: %s)' % errs[0] if errs else ''))
    if args.verbose or bad:
        print('%d documents, %d as expected, %d not' % (total, total - bad, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
