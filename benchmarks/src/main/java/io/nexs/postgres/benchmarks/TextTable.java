package io.nexs.postgres.benchmarks;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: first column left-aligned, the others (numbers) right-aligned, so the results read the
 * same in a terminal, a CI log and a README code block.
 */
final class TextTable {

    private final List<String[]> rows = new ArrayList<>();

    private final int columns;

    TextTable(String... header) {
        this.columns = header.length;
        this.rows.add(header);
    }

    TextTable row(String... cells) {
        if (cells.length != this.columns) {
            throw new IllegalArgumentException("expected " + this.columns + " cells, got " + cells.length);
        }
        this.rows.add(cells);
        return this;
    }

    void print() {
        int[] widths = new int[this.columns];
        for (String[] row : this.rows) {
            for (int i = 0; i < this.columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (int r = 0; r < this.rows.size(); r++) {
            String[] row = this.rows.get(r);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < this.columns; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                String padding = " ".repeat(widths[i] - row[i].length());
                line.append((i == 0) ? row[i] + padding : padding + row[i]);
            }
            System.out.println(line.toString().stripTrailing());
            if (r == 0) {
                System.out.println("-".repeat(line.toString().stripTrailing().length()));
            }
        }
    }

}
