# The command catalogue: what a newcomer and CI both run.
.PHONY: install check fmt lint types test bench

install:
	python -m pip install -e '.[dev]'

check: lint types test

fmt:
	ruff format src tests benchmarks
	ruff check --fix src tests benchmarks

lint:
	ruff format --check src tests benchmarks
	ruff check src tests benchmarks

types:
	mypy

test:
	python -m pytest

bench:
	python benchmarks/run.py
