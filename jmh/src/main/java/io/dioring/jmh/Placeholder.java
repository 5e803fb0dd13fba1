package io.dioring.jmh;
final class Placeholder {}
