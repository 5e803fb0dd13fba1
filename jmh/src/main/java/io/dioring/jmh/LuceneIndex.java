package io.dioring.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;

/**
 * The Lucene index {@link LuceneQueries} searches, and its queries. {@code docs} small
 * documents (-Ddioring.jmh.luceneDocs, 200,000 by default): a {@code body} of 40 words and
 * a {@code title} of 6, drawn from a vocabulary of {@value #VOCABULARY} made-up words with
 * Zipf frequencies (so the common terms' postings span many blocks and the rare ones a
 * few), and a {@code tag}, one of {@value #TAGS}. Laid out once, with the platform's file
 * system, in {@code lucene-<docs>} under the benchmarks' directory (-Ddioring.jmh.dir, as
 * {@link BenchFiles}), merged to one segment, and reused across forks and runs; the same
 * seed gives the same index, so every store answers every query alike.
 */
final class LuceneIndex {
    static final int DOCS = Integer.getInteger("dioring.jmh.luceneDocs", 200_000);
    static final int VOCABULARY = 20_000;
    static final int TAGS = 100;
    static final int BODY_WORDS = 40;
    static final int TITLE_WORDS = 6;
    /** Marks a finished index: a run interrupted while indexing leaves none, and the next starts over. */
    private static final String DONE = "dioring-index-complete";

    private LuceneIndex() {}

    /** The benchmarks' directory: -Ddioring.jmh.dir, or java.io.tmpdir. */
    static Path benchDir() {
        return Path.of(System.getProperty("dioring.jmh.dir", System.getProperty("java.io.tmpdir")));
    }

    /** The index of {@code docs} documents under {@code parent}, made on first use. */
    static synchronized Path directory(Path parent, int docs) {
        if (docs <= 0) {
            throw new IllegalArgumentException("docs " + docs + ": must be positive");
        }
        Path dir = parent.resolve("lucene-" + docs).toAbsolutePath();
        try {
            if (Files.exists(dir.resolve(DONE))) {
                return dir;
            }
            if (Files.exists(dir)) {
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            Files.createDirectories(dir);
            build(dir, docs);
            Files.createFile(dir.resolve(DONE));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("laying out the Lucene index " + dir, e);
        }
    }

    private static void build(Path dir, int docs) throws IOException {
        Words words = new Words();
        SplittableRandom random = new SplittableRandom(21);
        IndexWriterConfig config = new IndexWriterConfig(new StandardAnalyzer())
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                .setRAMBufferSizeMB(64);
        try (FSDirectory d = FSDirectory.open(dir); IndexWriter writer = new IndexWriter(d, config)) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < docs; i++) {
                Document doc = new Document();
                doc.add(new StringField("id", Integer.toString(i), Field.Store.YES));
                doc.add(new StringField("tag", tag(random.nextInt(TAGS)), Field.Store.NO));
                doc.add(new TextField("title", words.text(random, TITLE_WORDS, text), Field.Store.YES));
                doc.add(new TextField("body", words.text(random, BODY_WORDS, text), Field.Store.NO));
                writer.addDocument(doc);
            }
            writer.forceMerge(1);
            writer.commit();
        }
    }

    static String tag(int i) {
        return "tag" + i;
    }

    /** The word of rank {@code rank} (0 the most frequent): letters only, so the analyzer keeps it whole. */
    static String word(int rank) {
        StringBuilder s = new StringBuilder("w");
        int r = rank;
        do {
            s.append((char) ('a' + r % 26));
            r /= 26;
        } while (r > 0);
        return s.toString();
    }

    /** {@code n} queries, half term queries and half boolean ones (kind {@code "term"}, {@code "boolean"} or {@code "mixed"}). */
    static List<Query> queries(String kind, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Words words = new Words();
        List<Query> queries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean term = switch (kind) {
                case "term" -> true;
                case "boolean" -> false;
                case "mixed" -> i % 2 == 0;
                default -> throw new IllegalArgumentException("query kind '" + kind
                        + "': must be term, boolean or mixed");
            };
            queries.add(term ? termQuery(words, random) : booleanQuery(words, random, i));
        }
        return queries;
    }

    /** A body term with a rank from the top 2,000: postings from a few blocks to thousands of documents' worth. */
    private static Query termQuery(Words words, SplittableRandom random) {
        return new TermQuery(new Term("body", word(words.rank(random) % 2_000)));
    }

    /** Conjunctions, disjunctions, and a conjunction filtered by tag, in turn. */
    private static Query booleanQuery(Words words, SplittableRandom random, int i) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        switch (i % 3) {
            case 0 -> {
                b.add(new TermQuery(new Term("body", word(random.nextInt(200)))), Occur.MUST);
                b.add(new TermQuery(new Term("body", word(random.nextInt(2_000)))), Occur.MUST);
            }
            case 1 -> {
                for (int k = 0; k < 3; k++) {
                    b.add(new TermQuery(new Term("body", word(words.rank(random) % 2_000))), Occur.SHOULD);
                }
                b.add(new TermQuery(new Term("title", word(random.nextInt(500)))), Occur.SHOULD);
            }
            default -> {
                b.add(new TermQuery(new Term("body", word(random.nextInt(100)))), Occur.MUST);
                b.add(new TermQuery(new Term("body", word(random.nextInt(1_000)))), Occur.SHOULD);
                b.add(new TermQuery(new Term("tag", tag(random.nextInt(TAGS)))), Occur.FILTER);
            }
        }
        return b.build();
    }

    /** Zipf (s = 1) ranks over the vocabulary, by inverse of the cumulative distribution. */
    private static final class Words {
        private final double[] cumulative = new double[VOCABULARY];

        Words() {
            double sum = 0;
            for (int r = 0; r < VOCABULARY; r++) {
                sum += 1.0 / (r + 1);
                cumulative[r] = sum;
            }
            for (int r = 0; r < VOCABULARY; r++) {
                cumulative[r] /= sum;
            }
        }

        int rank(SplittableRandom random) {
            int i = Arrays.binarySearch(cumulative, random.nextDouble());
            return Math.min(i >= 0 ? i : -i - 1, VOCABULARY - 1);
        }

        String text(SplittableRandom random, int n, StringBuilder s) {
            s.setLength(0);
            for (int k = 0; k < n; k++) {
                if (k > 0) {
                    s.append(' ');
                }
                s.append(word(rank(random)));
            }
            return s.toString();
        }
    }
}
