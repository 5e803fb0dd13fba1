package io.dioring.lucene.app;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.NIOFSDirectory;

/**
 * A plain Lucene application, knowing nothing of dioring: it indexes {@code args[1]}
 * generated documents into a {@link NIOFSDirectory} at {@code args[0]}, reopens the index
 * and prints, per query, the total hits and the top ten (stored id and score), then a
 * closing {@code RESULT} line. The same seed gives the same documents and so the same
 * output, whichever file system provider the JVM has.
 */
public final class LuceneSearchApp {
    private static final String[] WORDS = {
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
        "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
        "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "ring", "queue", "page", "cache",
        "kernel", "block", "sector", "extent", "inode", "journal", "segment", "merge", "posting", "term"
    };

    private LuceneSearchApp() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int docs = Integer.parseInt(args[1]);
        System.out.println("provider " + FileSystems.getDefault().provider().getClass().getName());
        Random random = new Random(20261206L);
        try (Directory directory = new NIOFSDirectory(dir)) {
            try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(new StandardAnalyzer()))) {
                for (int i = 0; i < docs; i++) {
                    Document doc = new Document();
                    doc.add(new StringField("id", "doc" + i, Field.Store.YES));
                    doc.add(new TextField("body", sentence(random, 5 + random.nextInt(40)), Field.Store.NO));
                    writer.addDocument(doc);
                    if (i % 1000 == 999) {
                        writer.commit(); // a few segments, and their merge
                    }
                }
                writer.forceMerge(2);
            }
            try (DirectoryReader reader = DirectoryReader.open(directory)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                List<Query> queries = List.of(
                        new TermQuery(new Term("body", "kernel")),
                        new TermQuery(new Term("body", "zulu")),
                        new BooleanQuery.Builder()
                                .add(new TermQuery(new Term("body", "ring")), Occur.MUST)
                                .add(new TermQuery(new Term("body", "queue")), Occur.MUST).build(),
                        new BooleanQuery.Builder()
                                .add(new TermQuery(new Term("body", "page")), Occur.SHOULD)
                                .add(new TermQuery(new Term("body", "cache")), Occur.SHOULD)
                                .add(new TermQuery(new Term("body", "journal")), Occur.MUST_NOT).build(),
                        new PhraseQuery("body", "segment", "merge"),
                        new TermQuery(new Term("body", "absent")));
                for (Query q : queries) {
                    TopDocs top = searcher.search(q, 10);
                    StringBuilder line = new StringBuilder("query\t").append(q).append("\ttotal=")
                            .append(top.totalHits).append("\ttop=");
                    for (ScoreDoc sd : top.scoreDocs) {
                        line.append(searcher.storedFields().document(sd.doc).get("id"))
                                .append(':').append(String.format(Locale.ROOT, "%.5f", sd.score)).append(' ');
                    }
                    System.out.println(line.toString().strip());
                }
                System.out.println("RESULT\tdocs=" + reader.numDocs() + "\tqueries=" + queries.size()
                        + "\tsegments=" + reader.leaves().size());
            }
        }
    }

    private static String sentence(Random random, int words) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words; i++) {
            // skewed: low indexes are common words, high ones rare
            int w = (int) (WORDS.length * Math.pow(random.nextDouble(), 2));
            b.append(WORDS[w]).append(' ');
        }
        return b.toString();
    }
}
