package io.nexs.postgres.notify;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ChannelNameTests {

    @Test
    void acceptsAnyPrintableNameUpTo63Bytes() {
        assertThat(NotificationListenerContainer.validateChannel("orders")).isEqualTo("orders");
        assertThat(NotificationListenerContainer.validateChannel("Orders\"x")).isEqualTo("Orders\"x");
        assertThat(NotificationListenerContainer.validateChannel("order events.v2")).isEqualTo("order events.v2");
        assertThat(NotificationListenerContainer.validateChannel("a".repeat(63))).hasSize(63);
        // 31 two-byte characters and one ASCII: 63 bytes.
        assertThat(NotificationListenerContainer.validateChannel("é".repeat(31) + "x")).hasSize(32);
        // 15 four-byte characters (surrogate pairs) and three ASCII: 63 bytes.
        assertThat(NotificationListenerContainer.validateChannel("😀".repeat(15) + "abc")).hasSize(33);
    }

    @Test
    void rejectsNull() {
        assertThatIllegalArgumentException().isThrownBy(() -> NotificationListenerContainer.validateChannel(null))
            .withMessage("The notification channel name is null; it must be a non-blank name of at most 63 bytes "
                    + "in UTF-8");
    }

    @Test
    void rejectsEmptyAndBlankNames() {
        assertThatIllegalArgumentException().isThrownBy(() -> NotificationListenerContainer.validateChannel(""))
            .withMessageContaining("empty or blank");
        assertThatIllegalArgumentException().isThrownBy(() -> NotificationListenerContainer.validateChannel(" \t"))
            .withMessageContaining("empty or blank");
    }

    @Test
    void rejectsNamesLongerThan63BytesCountingBytesNotCharacters() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("a".repeat(64)))
            .withMessageContaining("is 64 bytes in UTF-8")
            .withMessageContaining("at most 63 bytes");
        // 32 characters, 64 bytes.
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("é".repeat(32)))
            .withMessageContaining("is 64 bytes in UTF-8");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("😀".repeat(16)))
            .withMessageContaining("is 64 bytes in UTF-8");
    }

    @Test
    void showsOnlyTheStartOfAVeryLongName() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("a".repeat(10_000)))
            .withMessageStartingWith("The notification channel name \"" + "a".repeat(80) + "...\" is 10000 bytes");
    }

    @Test
    void rejectsControlCharactersIncludingNul() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("orders\0"))
            .withMessage("The notification channel name \"orders\\u0000\" contains the control character U+0000 at "
                    + "index 6; channel names must not contain control characters");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("or\nders"))
            .withMessageContaining("U+000A at index 2");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("orders\u007f"))
            .withMessageContaining("U+007F");
    }

    @Test
    void rejectsUnpairedSurrogates() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validateChannel("orders\ud83d"))
            .withMessageContaining("unpaired surrogate at index 6");
    }

    @Test
    void quotesEveryNameAndDoublesEmbeddedQuotes() {
        assertThat(ChannelNames.quote("orders")).isEqualTo("\"orders\"");
        assertThat(ChannelNames.quote("Orders\"x")).isEqualTo("\"Orders\"\"x\"");
        assertThat(ChannelNames.quote("\"")).isEqualTo("\"\"\"\"");
    }

    @Test
    void acceptsPayloadsBelow8000Bytes() {
        assertThat(NotificationListenerContainer.validatePayload("")).isEmpty();
        assertThat(NotificationListenerContainer.validatePayload("x".repeat(7999))).hasSize(7999);
        assertThat(NotificationListenerContainer.validatePayload("€".repeat(2666) + "x")).hasSize(2667);
    }

    @Test
    void rejectsPayloadsOf8000BytesOrMoreWithoutShowingThem() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validatePayload("secret".repeat(1334)))
            .withMessage("The notification payload is 8004 bytes in UTF-8; PostgreSQL accepts fewer than 8000 bytes. "
                    + "Send a key and let the listener read the data instead");
        // 2667 characters, 8001 bytes.
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validatePayload("€".repeat(2667)))
            .withMessageContaining("is 8001 bytes");
    }

    @Test
    void rejectsNulAndNullPayloads() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> NotificationListenerContainer.validatePayload("secret\0"))
            .withMessage("The notification payload contains a NUL character at index 6; PostgreSQL text cannot hold "
                    + "NUL");
        assertThatIllegalArgumentException().isThrownBy(() -> NotificationListenerContainer.validatePayload(null))
            .withMessageContaining("use an empty string");
    }

    @Test
    void countsUtf8BytesLikeTheEncoder() {
        for (String text : new String[] { "", "abc", "é", "€", "😀", "a\ud83db", "x\udc00" }) {
            assertThat(ChannelNames.utf8Length(text)).as(text)
                .isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
    }

}
