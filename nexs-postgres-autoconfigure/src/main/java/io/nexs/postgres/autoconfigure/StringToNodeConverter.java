package io.nexs.postgres.autoconfigure;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Node;

import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.core.convert.converter.Converter;

/**
 * Binds the short form of a node, a {@code host:port} string, so that {@code nexs.postgres.nodes=db1:5432,db2}
 * and a YAML list of strings work as well as a list of objects. The address is taken as written: it is checked
 * later, with errors naming the property of the node ({@code nexs.postgres.nodes[1].address}).
 */
@ConfigurationPropertiesBinding
final class StringToNodeConverter implements Converter<String, Node> {

    @Override
    public Node convert(String source) {
        Node node = new Node();
        node.setAddress(source.trim());
        return node;
    }

}
