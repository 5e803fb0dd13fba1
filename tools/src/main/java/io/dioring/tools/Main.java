package io.dioring.tools;

public final class Main {
    public static void main(String[] args) {
        System.out.println("dioring");
    }
}
