"""geopin:evaluate: a thin adapter over engine/evaluation/ (the runners and the report)."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputFile,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from .base import GeoPinAlgorithm
from .params import DatabaseInput

class Evaluate(DatabaseInput, GeoPinAlgorithm):
    PROTOCOL = "PROTOCOL"
    REFERENCES = "REFERENCES"
    QUERIES = "QUERIES"
    TRUTH = "TRUTH"
    PRESET = "PRESET"
    MAX_QUERIES = "MAX_QUERIES"
    OUTPUT = "OUTPUT"
    OUTPUT_CSV = "OUTPUT_CSV"
    REPORT_DIR = "REPORT_DIR"
    REPORT = "REPORT"

    def name(self):
        return "evaluate"

    def displayName(self):  # noqa: N802
        return self.tr("Evaluate geolocation accuracy")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Measures how well GeoPin locates photos whose position is known. Either a built-in protocol on "
            "the shared datasets (leave-one-out, nothing to build), or query images with ground truth (a CSV "
            "file,lat,lon or their EXIF GPS) against a reference database or a folder of geotagged reference "
            "photos. The preset is key=value pairs: embedder, whitening, extractor, tier (none, fast), "
            "top_k, verify_top, estimator (pipeline, top1, hybrid); empty means the default. Outputs a per-query "
            "table (estimate points in EPSG:28992 with truth, error in metres, confidence, label, rank of "
            "the first correct reference before and after verification, timings) and an HTML report with "
            "accuracy tables, error CDF, reliability diagram and a failure gallery.")

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..geopin_plugin.engine.evaluation import catalogue

        options = [self.tr("Custom: the queries and references below")] + catalogue.photo_protocols()
        self.addParameter(QgsProcessingParameterEnum(
            self.PROTOCOL, self.tr("Protocol"), options=options, defaultValue=0))
        self.add_database_input(self.tr("Reference database (custom protocol)"), optional=True)
        self.addParameter(QgsProcessingParameterFile(
            self.REFERENCES, self.tr("Or: folder of geotagged reference photos (custom protocol)"),
            behavior=QgsProcessingParameterFile.Folder, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.QUERIES, self.tr("Query images (custom protocol)"), behavior=QgsProcessingParameterFile.Folder,
            optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.TRUTH, self.tr("Ground truth CSV (file, lat, lon); else the queries' EXIF GPS"), extension="csv",
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.PRESET, self.tr("Preset (key=value, comma separated; empty: default)"), defaultValue="",
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_QUERIES, self.tr("At most this many queries (0: all)"), QgsProcessingParameterNumber.Integer,
            defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Per-query results"), QgsProcessing.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_CSV, self.tr("Per-query table (CSV)"), fileFilter="CSV (*.csv)", optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.REPORT_DIR, self.tr("Report folder")))
        self.addOutput(QgsProcessingOutputFile(self.REPORT, self.tr("HTML report")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..geopin_plugin.engine.evaluation.runner import DatabaseRunner, ProtocolRunner
        from ..geopin_plugin.engine.evaluation.config import EvalConfig
        from ..geopin_plugin.engine.evaluation.results import results_to_rows, summarize, write_results_csv
        from ..geopin_plugin.engine.evaluation import report as er
        from ..geopin_plugin.engine.evaluation import protocols as pr
        from ..geopin_plugin.engine.evaluation import catalogue
        from ..geopin_plugin.engine.geo import wgs84_to_rd

        choice = self.parameterAsEnum(parameters, self.PROTOCOL, context)
        database = self.parameterAsFile(parameters, self.DATABASE, context)
        references = self.parameterAsFile(parameters, self.REFERENCES, context)
        queries = self.parameterAsFile(parameters, self.QUERIES, context)
        truth = self.parameterAsFile(parameters, self.TRUTH, context)
        max_queries = self.parameterAsInt(parameters, self.MAX_QUERIES, context)
        try:
            config = EvalConfig.parse(self.parameterAsString(parameters, self.PRESET, context) or "")
        except ValueError as exc:
            raise QgsProcessingException(self.tr("Invalid preset: {0}").format(exc))

        try:
            if choice > 0:
                protocol = catalogue.builtin_protocol(catalogue.photo_protocols()[choice - 1])
                if max_queries:
                    protocol = protocol.subset(max_queries=max_queries)
                runner = ProtocolRunner(protocol, config, log=feedback.pushInfo)
            else:
                if not queries:
                    raise QgsProcessingException(self.tr("Give query images (or choose a built-in protocol)"))
                if bool(database) == bool(references):
                    raise QgsProcessingException(
                        self.tr("Give either a reference database or a folder of reference photos"))
                if database:
                    custom = pr.custom_protocol(queries, truth or None)
                    qs = custom.queries[:max_queries] if max_queries else custom.queries
                    runner = DatabaseRunner(database, qs, config, custom.correct_radius_m, name="custom")
                    protocol = runner.protocol
                else:
                    protocol = pr.custom_protocol(queries, truth or None, references_dir=references)
                    if not protocol.references:
                        raise QgsProcessingException(self.tr("No reference photo has a position"))
                    if max_queries:
                        protocol = protocol.subset(max_queries=max_queries)
                    runner = ProtocolRunner(protocol, config, log=feedback.pushInfo)
            results = runner.run(progress=self.progress_for(feedback), is_canceled=feedback.isCanceled)
        except QgsProcessingException:
            raise
        except Exception as exc:  # engine errors carry the reason for the user
            raise QgsProcessingException(str(exc)) from exc

        fields = QgsFields()
        cols, rows = results_to_rows(results)
        kinds = {}
        for name in cols:
            sample = next((r[cols.index(name)] for r in rows if r[cols.index(name)] is not None), "")
            kind = QVariant.Double if isinstance(sample, float) else \
                QVariant.Int if isinstance(sample, (bool, int)) else QVariant.String
            kinds[name] = kind
            fields.append(QgsField(name, kind))
        sink, dest_id = self.required_sink(parameters, self.OUTPUT, context, fields, QgsWkbTypes.Point,
                                           QgsCoordinateReferenceSystem("EPSG:28992"))
        for r, row in zip(results, rows):
            f = QgsFeature(fields)
            f.setAttributes([int(v) if isinstance(v, bool) else v for v in row])
            if r.est_lat is not None:
                x, y = wgs84_to_rd(r.est_lat, r.est_lon)
                f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
            sink.addFeature(f, QgsFeatureSink.FastInsert)

        csv_path = self.parameterAsFileOutput(parameters, self.OUTPUT_CSV, context)
        if csv_path:
            write_results_csv(results, csv_path)
        report_dir = self.parameterAsString(parameters, self.REPORT_DIR, context)
        report = er.write_report(report_dir, [er.Run(protocol, config.name, results,
                                                         getattr(runner, "settings", lambda: None)())],
                                 command=f"geopin:evaluate {protocol.name} {config.name}")
        s = summarize(results)
        feedback.pushInfo(self.tr("{0} queries ({1} positives): {2} % within 50 m, median error {3} m").format(
            s["queries"], s["positives"], "–" if s["within_50m"] is None else f"{s['within_50m']:.1f}",
            "–" if s["median_error_m"] is None else f"{s['median_error_m']:.1f}"))
        out = {self.OUTPUT: dest_id, self.REPORT: str(report)}
        if csv_path:
            out[self.OUTPUT_CSV] = csv_path
        return out
