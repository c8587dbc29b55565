"""The auditor report: model comparison, champion decision, slices, lineage and model card.

`company-risk report` writes `reports/model_comparison.html` (one self-contained file) and
`reports/model_comparison.md` from MLflow and the pipeline's outputs.

The convention of the package: the stage's entry point is `build.write_report` (the CLI calls
it), and it sits next to the pure modules it calls. `collect` is the only reader: it gathers
the `Evidence`. `analysis` computes every figure from it (with `bootstrap`, `oracle`, `compare`,
`classes`, `slices`, `baserates`), and chooses between sources where a figure has two;
`sections` and `card` place the figures in blocks, with the sentences of
`templates/prose.toml` (`prose`); `render` writes the blocks as HTML and Markdown, `plots`
draws the figures; `build.write_report` writes both files atomically.
"""
